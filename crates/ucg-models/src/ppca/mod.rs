//! Probabilistic PCA: `p(x, z) = N(z; 0, I_D) N(x; θ0 + θ1ᵀ z, σ² I_P)` (docs/method.md §7).

mod batched;
mod diagonal;
mod gap;
mod gradient;
mod iwae;
mod latent;
mod model;
mod point;
mod stats;
mod target;

pub use batched::DiagonalPpcaBatch;
pub use diagonal::{DiagonalPpcaTarget, MomentParts};
pub use gradient::PpcaGradient;
pub use latent::PpcaLatentModel;
pub use model::Ppca;
pub use point::PpcaPoint;
pub use stats::{BatchStats, PointStats};
pub use target::PpcaTarget;
