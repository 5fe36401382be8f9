//! Deterministic random streams, shared by every crate of the workspace that draws random numbers.
//!
//! Unit `i` of a computation seeded with `seed` (a data point, a replicate, an image to binarise, an epoch's
//! shuffle) always gets the generator [`stream`]`(seed, i)`, whatever the number of threads or the order in
//! which units run; nested units nest [`derive_seed`]. One implementation serves estimators and data
//! preparation alike, so a seed means the same thing everywhere.
//!
//! # Example
//! ```
//! use rand::Rng;
//! use ucg_rng::{below, derive_seed, stream};
//!
//! let a = stream(42, 7).next_u64();
//! assert_eq!(a, stream(42, 7).next_u64()); // the same unit, the same numbers
//! assert_ne!(a, stream(42, 8).next_u64()); // another unit, another stream
//! let nested = stream(derive_seed(42, 3), 0); // unit 0 of replicate 3
//! let _ = nested;
//! assert!(below(&mut stream(1, 0), 6) < 6);
//! ```

mod streams;
mod uniform;

pub use streams::{StreamRng, derive_seed, splitmix64, stream};
pub use uniform::below;
