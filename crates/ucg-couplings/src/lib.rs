//! ucg-couplings
