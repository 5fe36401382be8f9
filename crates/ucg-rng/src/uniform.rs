//! Uniform integers defined by the generator's output alone.

use rand::Rng;

/// A uniform integer in `0..n` (for `n ≥ 1`; `n = 0` is treated as 1), by Lemire's multiply-and-reject
/// method: exact, and defined by the generator's output alone, so shuffles stay the same across versions of
/// `rand`.
pub fn below<R: Rng + ?Sized>(rng: &mut R, n: u64) -> u64 {
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
    use crate::stream;

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
        assert_eq!(below(&mut r, 0), 0);
    }
}
