//! ucg-data
