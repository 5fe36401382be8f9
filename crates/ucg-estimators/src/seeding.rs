//! Deterministic random streams: unit `i` of a computation seeded with `seed` always gets the same stream,
//! whatever the number of threads or the order in which units run.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The RNG used for every stream: Xoshiro256++ (fast, 256-bit state, reproducible across platforms).
pub type StreamRng = Xoshiro256PlusPlus;

/// SplitMix64's finaliser, a bijective mixer of 64-bit words.
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A child seed for unit `index` of a computation seeded with `seed` (nest calls for nested units, e.g.
/// `derive_seed(derive_seed(seed, replicate), point)`).
pub fn derive_seed(seed: u64, index: u64) -> u64 {
    splitmix64(seed ^ splitmix64(index.wrapping_add(0x632B_E59B_D9B4_E019)))
}

/// The stream of unit `index` under `seed`.
pub fn stream(seed: u64, index: u64) -> StreamRng {
    Xoshiro256PlusPlus::seed_from_u64(derive_seed(seed, index))
}
