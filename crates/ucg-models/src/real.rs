//! The floating-point types the neural models run in: `f32` for training speed, `f64` for
//! finite-difference checks of the very same code.
//!
//! Besides `nalgebra`'s [`RealField`] arithmetic, a [`Real`] provides the two element-wise functions the
//! Bernoulli likelihood spends its time in, `softplus` and `sigmoid`. For `f64` they are the standard
//! library's (accurate references); for `f32` they use a branch-free exponential and `log1p` that the
//! compiler vectorises, accurate to a few `f32` ulps (checked against `f64` in the tests), because
//! `libm`'s scalar calls would cost more than the matrix products of a training step.

use nalgebra::RealField;

/// A floating-point type for the neural models (`f32` or `f64`).
pub trait Real: RealField + Copy + Default + std::fmt::Debug + Send + Sync + 'static {
    /// Size of one value in a parameter file, in bytes.
    const BYTES: usize;
    /// Name of the type in parameter files (`"f32"` or `"f64"`).
    const NAME: &'static str;

    /// The nearest value to `x`.
    fn of(x: f64) -> Self;
    /// The value as `f64` (exact).
    fn to_f64(self) -> f64;
    /// `log(1 + eˣ)`, never overflowing.
    fn softplus(self) -> Self;
    /// `1 / (1 + e⁻ˣ)`, never overflowing.
    fn sigmoid(self) -> Self;
    /// `log sigmoid(x) = −softplus(−x)`, finite for every finite `x` (never `log` of a rounded sigmoid).
    fn log_sigmoid(self) -> Self {
        -(-self).softplus()
    }
    /// `(softplus(x), sigmoid(x))`, sharing one exponential.
    fn softplus_and_sigmoid(self) -> (Self, Self);
    /// Appends the little-endian bytes of the value.
    fn write_le(self, out: &mut Vec<u8>);
    /// Reads a value from exactly [`Real::BYTES`] little-endian bytes (`None` for a slice of another length).
    fn read_le(bytes: &[u8]) -> Option<Self>;
}

impl Real for f64 {
    const BYTES: usize = 8;
    const NAME: &'static str = "f64";
    fn of(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn softplus(self) -> Self {
        self.max(0.0) + (-self.abs()).exp().ln_1p()
    }
    fn sigmoid(self) -> Self {
        let t = (-self.abs()).exp();
        if self >= 0.0 {
            1.0 / (1.0 + t)
        } else {
            t / (1.0 + t)
        }
    }
    fn softplus_and_sigmoid(self) -> (Self, Self) {
        (self.softplus(), self.sigmoid())
    }
    fn write_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn read_le(bytes: &[u8]) -> Option<Self> {
        Some(f64::from_le_bytes(bytes.try_into().ok()?))
    }
}

impl Real for f32 {
    const BYTES: usize = 4;
    const NAME: &'static str = "f32";
    fn of(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn softplus(self) -> Self {
        softplus_f32(self)
    }
    #[inline]
    fn sigmoid(self) -> Self {
        sigmoid_f32(self)
    }
    #[inline]
    fn softplus_and_sigmoid(self) -> (Self, Self) {
        // One division serves both: q = 1/((1+t)(2+t)) gives 1/(1+t) = (2+t)q and t/(2+t) = t(1+t)q.
        let t = exp_nonpositive_f32(-self.abs());
        let q = 1.0 / ((1.0 + t) * (2.0 + t));
        let r = (2.0 + t) * q;
        let sigmoid = if self >= 0.0 { r } else { t * r };
        (self.max(0.0) + log1p_series_f32(t * (1.0 + t) * q), sigmoid)
    }
    fn write_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn read_le(bytes: &[u8]) -> Option<Self> {
        Some(f32::from_le_bytes(bytes.try_into().ok()?))
    }
}

/// `eˣ` for `x ≤ 0`, branch-free: `x = n ln 2 + r` with `|r| ≤ ½ ln 2` (Cody–Waite: `ln 2` split in
/// two parts so that `r` is exact), `eʳ` by its degree-7 Taylor polynomial (truncation below 10⁻⁸), and
/// `2ⁿ` written into the exponent bits. Arguments below −87 give exactly 0 (instead of a subnormal).
#[inline]
pub fn exp_nonpositive_f32(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75; // = 0.693145751953125 exactly
    const LN2_LO: f32 = 1.428_606_8e-6;
    let xc = x.max(-87.0);
    // Round to nearest by adding and subtracting 1.5·2²³ (plain arithmetic, so the loop vectorises
    // without SSE4.1's rounding instruction; |x log₂e| < 126 is far inside the trick's range).
    const SHIFTER: f32 = 12_582_912.0;
    let shifted = xc * std::f32::consts::LOG2_E + SHIFTER;
    let n = shifted - SHIFTER;
    // n · LN2_HI is exact (n has at most 8 bits, LN2_HI 16), so r carries no rounding from the reduction.
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    let p = 1.0 / 5040.0_f32;
    let p = p * r + 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    // 2ⁿ from the integer n that `shifted` holds in its low mantissa bits (its bits are those of 1.5·2²³
    // plus n, for |n| < 2²²), rather than from `n as i32`: Rust's saturating float-to-int conversion
    // has no SSE2 vector form, and the compiler scalarises the whole lane for it.
    let n_int = shifted.to_bits().wrapping_sub(SHIFTER.to_bits()) as i32;
    let bits = (n_int.wrapping_add(127) as u32) << 23;
    let e = p * f32::from_bits(bits);
    if x < -87.0 { 0.0 } else { e }
}

/// `log(1 + t)` for `t ∈ [0, 1]`: `2 atanh(s)` with `s = t / (2 + t) ∈ [0, ⅓]`, an odd series in `s`
/// whose terms shrink by `s² ≤ 1/9` (truncation error below 10⁻⁸).
#[inline]
fn log1p_unit_f32(t: f32) -> f32 {
    log1p_series_f32(t / (2.0 + t))
}

/// Where [`log1p_series_f32`] stops squaring its argument: `2⁻¹³`.
const SERIES_FLOOR: f32 = 1.0 / 8192.0;

/// `2 atanh(s) = log((1 + s)/(1 − s))` for `s ∈ [0, ⅓]`.
#[inline]
fn log1p_series_f32(s: f32) -> f32 {
    // Below 2⁻¹³ every term past the first is under half an ulp of 1, so the series is exactly 2s; the
    // floor keeps s² (and every product after it) out of the subnormal range, where each operation
    // costs a microcode assist: logits below about −46, common in trained decoders, hit it otherwise.
    let s2 = s.max(SERIES_FLOOR) * s.max(SERIES_FLOOR);
    let p = 1.0 / 15.0_f32;
    let p = p * s2 + 1.0 / 13.0;
    let p = p * s2 + 1.0 / 11.0;
    let p = p * s2 + 1.0 / 9.0;
    let p = p * s2 + 1.0 / 7.0;
    let p = p * s2 + 1.0 / 5.0;
    let p = p * s2 + 1.0 / 3.0;
    let p = p * s2 + 1.0;
    2.0 * s * p
}

/// `softplus(x) = max(x, 0) + log(1 + e^{−|x|})` in `f32`, branch-free.
#[inline]
pub fn softplus_f32(x: f32) -> f32 {
    x.max(0.0) + log1p_unit_f32(exp_nonpositive_f32(-x.abs()))
}

/// `sigmoid(x)` in `f32` from `t = e^{−|x|}`: `1/(1+t)` for `x ≥ 0`, `t/(1+t)` otherwise.
#[inline]
pub fn sigmoid_f32(x: f32) -> f32 {
    let t = exp_nonpositive_f32(-x.abs());
    let r = 1.0 / (1.0 + t);
    if x >= 0.0 { r } else { t * r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_f32_functions_match_f64_references() {
        let mut worst = [0.0f64; 3];
        for i in -200_000..=200_000 {
            let x = i as f64 * 5e-4; // [−100, 100]
            let xf = x as f32;
            let xd = f64::from(xf);
            let sp = f64::from(softplus_f32(xf));
            let sg = f64::from(sigmoid_f32(xf));
            let ex = f64::from(exp_nonpositive_f32(-xf.abs()));
            let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1e-30);
            worst[0] = worst[0].max(rel(sp, xd.softplus()));
            let (sp2, sg2) = xf.softplus_and_sigmoid();
            worst[0] = worst[0].max(rel(f64::from(sp2), xd.softplus()));
            let sig_err = |v: f64| rel(v, xd.sigmoid()).min((v - xd.sigmoid()).abs() * 1e7);
            worst[1] = worst[1].max(sig_err(f64::from(sg2)));
            worst[1] = worst[1].max(rel(sg, xd.sigmoid()).min((sg - xd.sigmoid()).abs() * 1e7));
            if xd.abs() < 80.0 {
                worst[2] = worst[2].max(rel(ex, (-xd.abs()).exp()));
            }
        }
        // A few f32 ulps (2⁻²³ ≈ 1.2·10⁻⁷).
        assert!(worst.iter().all(|&w| w < 6e-7), "{worst:?}");
    }

    /// The exponent taken from the shifted value's bits is `n as i32`: the exponential is, bit for bit,
    /// the one computed with the conversion (which the chains' log-weights were first computed with), at
    /// every argument from 0 down past the flush to zero, and at −0, −∞ and NaN.
    #[test]
    fn exponent_from_bits_equals_the_converted_exponent() {
        fn converted(x: f32) -> f32 {
            const SHIFTER: f32 = 12_582_912.0;
            let xc = x.max(-87.0);
            let n = (xc * std::f32::consts::LOG2_E + SHIFTER) - SHIFTER;
            let r = (xc - n * 0.693_145_75) - n * 1.428_606_8e-6;
            let p = [
                1.0 / 720.0,
                1.0 / 120.0,
                1.0 / 24.0,
                1.0 / 6.0,
                0.5,
                1.0,
                1.0,
            ]
            .iter()
            .fold(1.0 / 5040.0_f32, |p, &c| p * r + c);
            let e = p * f32::from_bits(((n as i32 + 127) as u32) << 23);
            if x < -87.0 { 0.0 } else { e }
        }
        let mut x = 0.0f32;
        while x > -90.0 {
            assert_eq!(
                exp_nonpositive_f32(x).to_bits(),
                converted(x).to_bits(),
                "{x}"
            );
            // Every f32 near the rounding boundaries of n, a sample elsewhere.
            x = if (x * std::f32::consts::LOG2_E).fract().abs() > 0.49
                && (x * std::f32::consts::LOG2_E).fract().abs() < 0.51
            {
                f32::from_bits(x.to_bits() + 1)
            } else {
                x - 1.7e-5
            };
        }
        for x in [
            -0.0f32,
            f32::NEG_INFINITY,
            f32::NAN,
            -87.0,
            -87.000_01,
            -1e30,
        ] {
            assert_eq!(
                exp_nonpositive_f32(x).to_bits(),
                converted(x).to_bits(),
                "{x}"
            );
        }
    }

    /// The floor on the series' argument changes no result: below it, the series is `2s` exactly.
    #[test]
    fn log1p_series_is_exactly_linear_below_its_floor() {
        let mut s = SERIES_FLOOR;
        while s > 1e-45 {
            for v in [s, s * 0.77, s * 0.51] {
                assert_eq!(log1p_series_f32(v), 2.0 * v, "{v:e}");
            }
            s *= 0.5;
        }
        assert_eq!(log1p_series_f32(0.0), 0.0);
    }

    #[test]
    fn extreme_arguments_stay_finite() {
        for x in [-1e30f32, -1e4, -88.0, 0.0, 88.0, 1e4, 1e30] {
            assert!(
                softplus_f32(x).is_finite() && sigmoid_f32(x).is_finite(),
                "{x}"
            );
        }
        assert_eq!(softplus_f32(1e4), 1e4);
        assert_eq!(Real::log_sigmoid(-1e4f32), -1e4);
        assert!((Real::log_sigmoid(0.0f64) + std::f64::consts::LN_2).abs() < 1e-15);
        assert_eq!(sigmoid_f32(-1e4), 0.0);
    }
}
