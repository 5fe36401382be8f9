//! Reproducible random streams: stream `index` of seed `seed`, independent of how many other streams are used.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The SplitMix64 output function, a bijection of `u64`.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The random stream number `index` of `seed`: a Xoshiro256++ generator whose 256-bit state is two words
/// derived from `seed` and two from `index`, so distinct `(seed, index)` pairs give distinct streams.
pub fn stream(seed: u64, index: u64) -> Xoshiro256PlusPlus {
    let words = [
        mix(seed),
        mix(seed ^ 0x5555_5555_5555_5555),
        mix(index ^ 0x3c6e_f372_fe94_f82b),
        mix(index ^ 0xa54f_f53a_5f1d_36f1),
    ];
    let mut bytes = [0u8; 32];
    for (chunk, w) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    Xoshiro256PlusPlus::from_seed(bytes)
}

/// A uniform integer in `0..n` (for `n >= 1`), by Lemire's multiply-and-reject method: exact, and defined by
/// the generator's output alone, so shuffles stay the same across versions of `rand`.
pub fn below<R: Rng + ?Sized>(rng: &mut R, n: u64) -> u64 {
    debug_assert!(n > 0);
    let n = n.max(1);
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(n);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_and_repeat() {
        let a: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(stream(1, 0), |r, _: u64| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(stream(1, 0), |r, _: u64| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(stream(1, 0).next_u64(), stream(1, 1).next_u64());
        assert_ne!(stream(1, 0).next_u64(), stream(0, 1).next_u64());
    }

    #[test]
    fn below_is_in_range_and_roughly_uniform() {
        let mut r = stream(7, 0);
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[below(&mut r, 3) as usize] += 1;
        }
        // Each count ~ Binomial(30000, 1/3): sd ≈ 82; allow 5 sd.
        for c in counts {
            assert!((c as i64 - 10_000).abs() < 410, "{counts:?}");
        }
        assert_eq!(below(&mut r, 1), 0);
    }
}
