//! The numpy types that pickled arrays are rebuilt into: a data type and an n-dimensional array of raw bytes,
//! with conversions of its elements to `f32` and `i64` that honour the byte order.

use crate::DataError;

/// A numpy data type: its type string without byte order (such as `f4`, `i8`, `u1`) and its byte order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dtype {
    /// The kind letter and item size, such as `f4`.
    pub descr: String,
    /// `<` little-endian, `>` big-endian, `|` not applicable, `=` native.
    pub byteorder: char,
}

impl Dtype {
    /// A dtype from a numpy type string such as `f4`, `<i8` or `u1`; fails for types this crate cannot read.
    pub fn parse(spec: &str) -> Result<Dtype, DataError> {
        let (byteorder, descr) = match spec.chars().next() {
            Some(c @ ('<' | '>' | '|' | '=')) => (c, &spec[1..]),
            _ => ('=', spec),
        };
        let dt = Dtype {
            descr: descr.to_owned(),
            byteorder,
        };
        dt.itemsize()?;
        Ok(dt)
    }

    /// The kind letter: `f` float, `i` signed, `u` unsigned, `b` boolean.
    pub fn kind(&self) -> char {
        self.descr.chars().next().unwrap_or('?')
    }

    /// The size of one element in bytes.
    pub fn itemsize(&self) -> Result<usize, DataError> {
        let size: Option<usize> = self.descr.get(1..).and_then(|s| s.parse().ok());
        match (self.kind(), size) {
            ('f', Some(s @ (4 | 8)))
            | ('i' | 'u', Some(s @ (1 | 2 | 4 | 8)))
            | ('b', Some(s @ 1)) => Ok(s),
            _ => Err(DataError::Pickle(format!(
                "unsupported numpy dtype {:?}",
                self.descr
            ))),
        }
    }

    fn little_endian(&self) -> bool {
        match self.byteorder {
            '>' => false,
            '<' | '|' => true,
            _ => cfg!(target_endian = "little"),
        }
    }
}

/// A numpy array rebuilt from its pickled state.
#[derive(Debug, Clone, PartialEq)]
pub struct NdArray {
    /// The shape.
    pub shape: Vec<usize>,
    /// The element type.
    pub dtype: Dtype,
    /// Whether the data is in Fortran (column-major) order.
    pub fortran_order: bool,
    /// The raw element bytes.
    pub data: Vec<u8>,
}

impl NdArray {
    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the array has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn elements(
        &self,
        kind: &[char],
        size: usize,
    ) -> Result<std::slice::ChunksExact<'_, u8>, DataError> {
        if !kind.contains(&self.dtype.kind()) || self.dtype.itemsize()? != size {
            return Err(DataError::Pickle(format!(
                "array of dtype {} where {kind:?} with {size} bytes was expected",
                self.dtype.descr
            )));
        }
        Ok(self.data.chunks_exact(size))
    }

    /// The elements of a `float32` array, in storage order.
    pub fn to_f32(&self) -> Result<Vec<f32>, DataError> {
        let le = self.dtype.little_endian();
        Ok(self
            .elements(&['f'], 4)?
            .map(|c| {
                let b = [c[0], c[1], c[2], c[3]];
                if le {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                }
            })
            .collect())
    }

    /// The elements of an integer array of any width, as `i64` (unsigned 64-bit values above `i64::MAX` fail).
    pub fn to_i64(&self) -> Result<Vec<i64>, DataError> {
        let size = self.dtype.itemsize()?;
        let le = self.dtype.little_endian();
        let signed = self.dtype.kind() == 'i';
        self.elements(&['i', 'u', 'b'], size)?
            .map(|c| {
                let mut b = [0u8; 8];
                if le {
                    b[..size].copy_from_slice(c);
                } else {
                    for (k, &x) in c.iter().rev().enumerate() {
                        b[k] = x;
                    }
                }
                let negative = signed && b[size - 1] & 0x80 != 0;
                if negative {
                    b[size..].fill(0xff);
                }
                let v = i64::from_le_bytes(b);
                if !signed && size == 8 && v < 0 {
                    Err(DataError::Pickle(format!(
                        "uint64 value {} too large",
                        v as u64
                    )))
                } else {
                    Ok(v)
                }
            })
            .collect()
    }
}
