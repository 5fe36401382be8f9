//! ucg-models
