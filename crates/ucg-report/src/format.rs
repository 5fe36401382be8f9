//! Number formatting for tables and tick labels.

/// Formats `x` with 4 significant digits; see [`format_number_sig`].
///
/// ```
/// use ucg_report::format_number;
/// assert_eq!(format_number(3.14159265), "3.142");
/// assert_eq!(format_number(0.000012345), "1.234e-5");
/// assert_eq!(format_number(1234567.0), "1.235e6");
/// assert_eq!(format_number(12345.6), "12346");
/// assert_eq!(format_number(2.5), "2.5");
/// ```
pub fn format_number(x: f64) -> String {
    format_number_sig(x, 4)
}

/// Formats `x` with `significant` significant digits (at least 1).
///
/// Values with `1e-3 <= |x| < 1e6` are printed in fixed notation, others in scientific
/// notation (`1.234e-5`); trailing zeros after the decimal point are removed, integers
/// below 10⁶ are printed in full (`12346`), zero is `0`, and non-finite values print as
/// `NaN`, `inf` and `-inf`.
pub fn format_number_sig(x: f64, significant: usize) -> String {
    let sig = significant.max(1);
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let ax = x.abs();
    if !(1e-3..1e6).contains(&ax) {
        return format_scientific(x, sig);
    }
    let exponent = ax.log10().floor() as i64;
    let decimals = (sig as i64 - 1 - exponent).max(0) as usize;
    let s = format!("{x:.decimals$}");
    // Rounding can produce "-0" for tiny negatives, which the branch above excludes.
    trim_fraction_zeros(&s)
}

/// Formats `value ± half_width` with 4 significant digits each, e.g. `-0.01234 ± 0.002`.
pub fn format_plus_minus(value: f64, half_width: f64) -> String {
    format!("{} ± {}", format_number(value), format_number(half_width))
}

/// Formats a count with thousands separators, for tables and prose: `50,000`.
///
/// ```
/// use ucg_report::format_thousands;
/// assert_eq!(format_thousands(999), "999");
/// assert_eq!(format_thousands(1_234_567), "1,234,567");
/// ```
pub fn format_thousands(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Scientific notation with `sig` significant digits and trimmed mantissa: `1.5e-7`.
pub(crate) fn format_scientific(x: f64, sig: usize) -> String {
    if x == 0.0 {
        return "0".to_owned();
    }
    let decimals = sig.max(1) - 1;
    let s = format!("{x:.decimals$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => format!("{}e{}", trim_fraction_zeros(mantissa), exp),
        None => s,
    }
}

/// Removes trailing zeros (and a trailing point) from a decimal number's fraction.
fn trim_fraction_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_and_scientific() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(1.0), "1");
        assert_eq!(format_number(-0.012345), "-0.01235");
        assert_eq!(format_number(0.001), "0.001");
        assert_eq!(format_number(0.00099999), "1e-3");
        assert_eq!(format_number(999999.0), "999999");
        assert_eq!(format_number(1e6), "1e6");
        assert_eq!(format_number(-2.5e-9), "-2.5e-9");
        assert_eq!(format_number(9.99996), "10");
        assert_eq!(format_number(123.456), "123.5");
        assert_eq!(format_number_sig(123.456, 2), "123");
        assert_eq!(format_number_sig(0.123456, 0), "0.1");
    }

    #[test]
    fn non_finite() {
        assert_eq!(format_number(f64::NAN), "NaN");
        assert_eq!(format_number(f64::INFINITY), "inf");
        assert_eq!(format_number(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn thousands() {
        assert_eq!(format_thousands(0), "0");
        assert_eq!(format_thousands(999), "999");
        assert_eq!(format_thousands(50_000), "50,000");
        assert_eq!(format_thousands(1_234_567), "1,234,567");
        assert_eq!(format_thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn plus_minus() {
        assert_eq!(format_plus_minus(-0.012345, 0.002), "-0.01235 ± 0.002");
    }
}
