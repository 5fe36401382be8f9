//! Maximal couplings of two distributions: pairs `(X, Y)` with the prescribed marginals and the largest
//! possible `P(X = Y) = 1 − TV(p, q)`.
//!
//! - [`categorical`]: two distributions on `{0, …, K−1}` (Lindvall's construction), used for the index
//!   draws of coupled ISIR.
//! - [`rejection`]: any two distributions that can be sampled and evaluated.
//! - [`reflection`]: two Gaussians with a common covariance (reflection-maximal coupling).

pub mod categorical;
pub mod reflection;
pub mod rejection;
