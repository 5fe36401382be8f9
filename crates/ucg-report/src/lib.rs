//! ucg-report
