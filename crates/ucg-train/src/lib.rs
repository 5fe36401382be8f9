//! ucg-train
