//! ucg-estimators
