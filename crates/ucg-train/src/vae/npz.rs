//! Import of the outside JAX peer's parameters (`.npz`: a zip of `.npy` float32 arrays in C order).
//!
//! Keys and shapes (every dense layer computes `y = x W + b` with `W` stored `inputs × outputs`):
//! `enc/l1/{W,b}` (`P × H`), `enc/l2/{W,b}` (`H × H`), `enc/mu/{W,b}` and `enc/sig/{W,b}` (`H × D`),
//! `dec/l1/{W,b}` (`D × H`), `dec/l2/{W,b}` (`H × H`), `dec/l3/{W,b}` (`H × P`); other keys (such as
//! `__meta__`) are ignored. A C-order `inputs × outputs` matrix is, byte for byte, the column-major
//! `outputs × inputs` matrix of [`ucg_models::vae::mlp`], so the layers are copied as they are; the
//! encoder's two heads become the rows `0..D` (μ) and `D..2D` (σ's pre-activation) of its last layer.

use std::path::Path;

use crate::{Result, TrainError};
use ucg_data::wheel;
use ucg_models::vae::{Vae, VaeShape};

fn bad(what: &str, reason: impl Into<String>) -> TrainError {
    TrainError::UnusableFile {
        path: what.to_string(),
        reason: reason.into(),
    }
}

/// A little-endian float32 C-order array from `.npy` bytes: `(shape, values)`.
///
/// # Errors
/// A malformed header, another dtype, Fortran order, or a size that does not match the shape.
pub fn parse_npy_f32(bytes: &[u8], what: &str) -> Result<(Vec<usize>, Vec<f32>)> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad(what, "not a .npy array"));
    }
    let (header_len, start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(bad(what, format!(".npy version {v} is not supported"))),
    };
    let header = bytes
        .get(start..start + header_len)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad(what, "truncated or non-UTF-8 .npy header"))?;
    let field = |key: &str| -> Option<&str> {
        let at = header.find(&format!("'{key}'"))? + key.len() + 2;
        let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
        Some(rest)
    };
    let descr = field("descr").ok_or_else(|| bad(what, "no descr in the .npy header"))?;
    if !descr.starts_with("'<f4'") {
        return Err(bad(
            what,
            format!(
                "dtype {} is not little-endian float32",
                descr.split(',').next().unwrap_or("")
            ),
        ));
    }
    if !field("fortran_order").is_some_and(|f| f.starts_with("False")) {
        return Err(bad(what, "Fortran-order arrays are not supported"));
    }
    let shape_text = field("shape")
        .and_then(|s| s.strip_prefix('('))
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| bad(what, "no shape in the .npy header"))?;
    let shape: Vec<usize> = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| bad(what, format!("bad shape {shape_text:?}")))
        })
        .collect::<Result<_>>()?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &b| a.checked_mul(b))
        .ok_or_else(|| bad(what, "shape too large"))?;
    let data = &bytes[start + header_len..];
    if Some(data.len()) != count.checked_mul(4) {
        return Err(bad(
            what,
            format!("{} data bytes for shape {shape:?}", data.len()),
        ));
    }
    Ok((
        shape,
        data.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    ))
}

/// The peer's parameters from the bytes of its `.npz` file (`what` names the source in errors).
///
/// # Errors
/// A missing key, a malformed array, inconsistent shapes, non-finite values.
pub fn vae_from_npz(archive: &[u8], what: &str) -> Result<Vae<f32>> {
    let get = |key: &str| -> Result<(Vec<usize>, Vec<f32>)> {
        let name = format!("{key}.npy");
        let bytes = wheel::extract(archive, &name, what)?;
        parse_npy_f32(&bytes, &format!("{what}: {name}"))
    };
    let matrix = |key: &str,
                  rows: Option<usize>,
                  cols: Option<usize>|
     -> Result<(usize, usize, Vec<f32>)> {
        let (shape, v) = get(key)?;
        match shape[..] {
            [r, c] if rows.is_none_or(|x| x == r) && cols.is_none_or(|x| x == c) => Ok((r, c, v)),
            _ => Err(bad(what, format!("{key} has shape {shape:?}"))),
        }
    };
    let vector = |key: &str, len: usize| -> Result<Vec<f32>> {
        let (shape, v) = get(key)?;
        if shape != [len] {
            return Err(bad(
                what,
                format!("{key} has shape {shape:?}, expected [{len}]"),
            ));
        }
        Ok(v)
    };
    let (p, h, w1) = matrix("enc/l1/W", None, None)?;
    let (_, _, w2) = matrix("enc/l2/W", Some(h), Some(h))?;
    let (_, d, wmu) = matrix("enc/mu/W", Some(h), None)?;
    let (_, _, wsig) = matrix("enc/sig/W", Some(h), Some(d))?;
    let mut enc = Vec::new();
    enc.extend(w1);
    enc.extend(vector("enc/l1/b", h)?);
    enc.extend(w2);
    enc.extend(vector("enc/l2/b", h)?);
    // Last layer: 2D × H column-major; column i (input i) is [μ-weights of i, σ-weights of i].
    for i in 0..h {
        enc.extend_from_slice(&wmu[i * d..(i + 1) * d]);
        enc.extend_from_slice(&wsig[i * d..(i + 1) * d]);
    }
    enc.extend(vector("enc/mu/b", d)?);
    enc.extend(vector("enc/sig/b", d)?);
    let mut dec = Vec::new();
    dec.extend(matrix("dec/l1/W", Some(d), Some(h))?.2);
    dec.extend(vector("dec/l1/b", h)?);
    dec.extend(matrix("dec/l2/W", Some(h), Some(h))?.2);
    dec.extend(vector("dec/l2/b", h)?);
    dec.extend(matrix("dec/l3/W", Some(h), Some(p))?.2);
    dec.extend(vector("dec/l3/b", p)?);
    Ok(Vae::from_params(VaeShape::new(p, h, d)?, enc, dec)?)
}

/// Reads the peer's `.npz` parameter file.
///
/// # Errors
/// An unreadable file and those of [`vae_from_npz`].
pub fn load_npz(path: &Path) -> Result<Vae<f32>> {
    let what = path.display().to_string();
    let bytes = std::fs::read(path).map_err(TrainError::io(path))?;
    vae_from_npz(&bytes, &what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ucg_models::vae::VaeWorkspace;

    fn npy(shape: &[usize], v: &[f32]) -> Vec<u8> {
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        let shape_text = if dims.len() == 1 {
            format!("({},)", dims[0])
        } else {
            format!("({})", dims.join(", "))
        };
        let mut header =
            format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_text}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend(v.iter().flat_map(|x| x.to_le_bytes()));
        out
    }

    #[test]
    fn peer_layout_is_imported_as_the_same_function() {
        let (p, h, d) = (5, 4, 2);
        let val = |key: usize, i: usize| ((key * 31 + i * 7) % 13) as f32 / 13.0 - 0.5;
        let layers: Vec<(&str, Vec<usize>)> = vec![
            ("enc/l1/W", vec![p, h]),
            ("enc/l1/b", vec![h]),
            ("enc/l2/W", vec![h, h]),
            ("enc/l2/b", vec![h]),
            ("enc/mu/W", vec![h, d]),
            ("enc/mu/b", vec![d]),
            ("enc/sig/W", vec![h, d]),
            ("enc/sig/b", vec![d]),
            ("dec/l1/W", vec![d, h]),
            ("dec/l1/b", vec![h]),
            ("dec/l2/W", vec![h, h]),
            ("dec/l2/b", vec![h]),
            ("dec/l3/W", vec![h, p]),
            ("dec/l3/b", vec![p]),
        ];
        let arrays: Vec<(String, Vec<f32>, Vec<u8>)> = layers
            .iter()
            .enumerate()
            .map(|(key, (name, shape))| {
                let v: Vec<f32> = (0..shape.iter().product()).map(|i| val(key, i)).collect();
                let bytes = npy(shape, &v);
                (format!("{name}.npy"), v, bytes)
            })
            .collect();
        let members: Vec<(&str, &[u8], bool)> = arrays
            .iter()
            .map(|(n, _, b)| (n.as_str(), b.as_slice(), false))
            .collect();
        let vae = vae_from_npz(&wheel::build_zip(&members), "t").unwrap();
        // The encoder as the peer computes it, for one image.
        let x: Vec<f32> = (0..p).map(|i| (i % 2) as f32).collect();
        let dense = |input: &[f32], w: &[f32], b: &[f32], relu: bool| -> Vec<f32> {
            let outs = b.len();
            (0..outs)
                .map(|o| {
                    let s = b[o]
                        + input
                            .iter()
                            .enumerate()
                            .map(|(i, &xi)| xi * w[i * outs + o])
                            .sum::<f32>();
                    if relu { s.max(0.0) } else { s }
                })
                .collect()
        };
        let a = |i: usize| &arrays[i].1;
        let h1 = dense(&x, a(0), a(1), true);
        let h2 = dense(&h1, a(2), a(3), true);
        let mu = dense(&h2, a(4), a(5), false);
        let sig: Vec<f32> = dense(&h2, a(6), a(7), false)
            .iter()
            .map(|&s| (1.0 + s.exp()).ln())
            .collect();
        let mut ws = VaeWorkspace::new();
        vae.encode(&x, 1, &mut ws).unwrap();
        for i in 0..d {
            assert!((ws.mu()[i] - mu[i]).abs() < 1e-5 && (ws.sigma()[i] - sig[i]).abs() < 1e-5);
        }
        // Missing keys and bad arrays are errors.
        assert!(vae_from_npz(&wheel::build_zip(&members[1..]), "t").is_err());
        assert!(parse_npy_f32(&npy(&[2, 2], &[1.0; 3]), "t").is_err());
        assert!(parse_npy_f32(b"garbage", "t").is_err());
    }
}
