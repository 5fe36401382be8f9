//! A minimal pickle writer that emits the opcodes Python 2's cPickle (protocol 2) writes for numpy arrays.
//!
//! It exists to test [`crate::pickle`] and the MNIST conversion on small generated files with the same
//! structure as the real `mnist.pkl.gz`, without Python or numpy.

/// A numpy array to pickle: shape, dtype string (`"f4"`, `"i8"`, ...) and little-endian element bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ArraySpec {
    /// The shape.
    pub shape: Vec<usize>,
    /// The dtype string without byte order, such as `f4`.
    pub dtype: &'static str,
    /// The element bytes, little-endian.
    pub data: Vec<u8>,
}

impl ArraySpec {
    /// A `float32` array of the given shape.
    pub fn f32(shape: &[usize], values: &[f32]) -> Self {
        ArraySpec {
            shape: shape.to_vec(),
            dtype: "f4",
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    /// An `int64` vector.
    pub fn i64(values: &[i64]) -> Self {
        ArraySpec {
            shape: vec![values.len()],
            dtype: "i8",
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }
}

/// Writes pickle opcodes into a buffer, memoizing as cPickle does.
#[derive(Debug, Default)]
pub struct PickleWriter {
    out: Vec<u8>,
    next_memo: u32,
    reconstruct: Option<(u32, u32)>,
    dtype_class: Option<u32>,
    dtypes: Vec<(&'static str, u32)>,
}

impl PickleWriter {
    /// A writer that has written the protocol-2 header.
    pub fn new() -> Self {
        PickleWriter {
            out: vec![0x80, 2],
            next_memo: 1, // cPickle numbers its memo from 1
            ..Default::default()
        }
    }

    fn put(&mut self) -> u32 {
        let i = self.next_memo;
        self.next_memo += 1;
        if let Ok(b) = u8::try_from(i) {
            self.out.extend_from_slice(&[b'q', b]);
        } else {
            self.out.push(b'r');
            self.out.extend_from_slice(&i.to_le_bytes());
        }
        i
    }

    fn get(&mut self, i: u32) {
        if let Ok(b) = u8::try_from(i) {
            self.out.extend_from_slice(&[b'h', b]);
        } else {
            self.out.push(b'j');
            self.out.extend_from_slice(&i.to_le_bytes());
        }
    }

    fn global(&mut self, module: &str, name: &str) -> u32 {
        self.out.push(b'c');
        self.out.extend_from_slice(module.as_bytes());
        self.out.push(b'\n');
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'\n');
        self.put()
    }

    /// Writes a non-negative integer as BININT1, BININT2 or BININT.
    pub fn int(&mut self, v: i64) {
        if let Ok(b) = u8::try_from(v) {
            self.out.extend_from_slice(&[b'K', b]);
        } else if let Ok(w) = u16::try_from(v) {
            self.out.push(b'M');
            self.out.extend_from_slice(&w.to_le_bytes());
        } else {
            self.out.push(b'J');
            self.out.extend_from_slice(&(v as i32).to_le_bytes());
        }
    }

    /// Writes a byte string as SHORT_BINSTRING or BINSTRING.
    pub fn string(&mut self, b: &[u8]) {
        if let Ok(n) = u8::try_from(b.len()) {
            self.out.extend_from_slice(&[b'U', n]);
        } else {
            self.out.push(b'T');
            self.out.extend_from_slice(&(b.len() as u32).to_le_bytes());
        }
        self.out.extend_from_slice(b);
    }

    /// Builds a tuple of the `n` values on top of the stack (TUPLE1/2/3, or MARK ... TUPLE when `n > 3`
    /// and `mark` was written before them).
    pub fn tuple(&mut self, n: usize) {
        match n {
            0 => self.out.push(b')'),
            1..=3 => self.out.push(0x84 + n as u8),
            _ => self.out.push(b't'),
        }
    }

    /// Writes a MARK.
    pub fn mark(&mut self) {
        self.out.push(b'(');
    }

    /// Writes a numpy array the way numpy's `__reduce__` and cPickle do.
    pub fn array(&mut self, a: &ArraySpec) {
        match self.reconstruct {
            Some((rec, nd)) => {
                self.get(rec);
                self.get(nd);
            }
            None => {
                let rec = self.global("numpy.core.multiarray", "_reconstruct");
                let nd = self.global("numpy", "ndarray");
                self.reconstruct = Some((rec, nd));
            }
        }
        self.int(0);
        self.tuple(1);
        self.string(b"b");
        self.tuple(3);
        self.out.push(b'R');
        self.put();
        self.mark();
        self.int(1);
        for &d in &a.shape {
            self.int(d as i64);
        }
        self.tuple(a.shape.len());
        if let Some(&(_, memo)) = self.dtypes.iter().find(|(d, _)| *d == a.dtype) {
            self.get(memo);
        } else {
            match self.dtype_class {
                Some(class) => self.get(class),
                None => self.dtype_class = Some(self.global("numpy", "dtype")),
            }
            self.string(a.dtype.as_bytes());
            self.int(0);
            self.int(1);
            self.tuple(3);
            self.out.push(b'R');
            let memo = self.put();
            self.dtypes.push((a.dtype, memo));
            self.mark();
            self.int(3);
            self.string(b"<");
            self.out.extend_from_slice(b"NNN");
            self.out.push(b'J');
            self.out.extend_from_slice(&(-1i32).to_le_bytes());
            self.out.push(b'J');
            self.out.extend_from_slice(&(-1i32).to_le_bytes());
            self.int(0);
            self.tuple(8);
            self.out.push(b'b');
        }
        self.out.push(0x89); // not Fortran order
        self.string(&a.data);
        self.tuple(5);
        self.out.push(b'b');
    }

    /// Writes the stop opcode and returns the pickle.
    pub fn finish(mut self) -> Vec<u8> {
        self.out.push(b'.');
        self.out
    }
}

/// A pickle with the structure of `mnist.pkl.gz`: a 3-tuple (train, valid, test) of 2-tuples (images, labels),
/// images as `float32` `n × 784` arrays and labels as `int64` vectors.
pub fn mnist_like_pickle(sets: &[(ArraySpec, ArraySpec); 3]) -> Vec<u8> {
    let mut w = PickleWriter::new();
    for (x, y) in sets {
        w.array(x);
        w.array(y);
        w.tuple(2);
        w.put();
    }
    w.tuple(3);
    w.put();
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The opcodes of the real `mnist.pkl.gz` around its first two arrays (the 50000 × 784 `float32` images and
    /// the 50000 `int64` labels), up to each BINSTRING opcode, and after the last one.
    const REAL_IMAGES_HEAD: &[u8] = b"\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02K\x00\x85U\x01b\x87Rq\x03(K\x01MP\xc3M\x10\x03\x86cnumpy\ndtype\nq\x04U\x02f4K\x00K\x01\x87Rq\x05(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89T";
    const REAL_LABELS_HEAD: &[u8] = b"tbh\x01h\x02K\x00\x85U\x01b\x87Rq\x06(K\x01MP\xc3\x85h\x04U\x02i8K\x00K\x01\x87Rq\x07(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89T";
    const REAL_PAIR_TAIL: &[u8] = b"tb\x86q\x08";

    #[test]
    fn writes_the_same_opcodes_as_the_real_mnist_pickle() {
        // Shapes as in the real file; 256 data bytes stand in for the real data (the writer does not check).
        let mut w = PickleWriter::new();
        w.array(&ArraySpec {
            shape: vec![50000, 784],
            dtype: "f4",
            data: vec![0; 256],
        });
        w.array(&ArraySpec {
            shape: vec![50000],
            dtype: "i8",
            data: vec![0; 256],
        });
        w.tuple(2);
        w.put();
        let bytes = w.finish();
        let (head, rest) = bytes.split_at(REAL_IMAGES_HEAD.len());
        assert_eq!(head, REAL_IMAGES_HEAD);
        let (head, rest) = rest[4 + 256..].split_at(REAL_LABELS_HEAD.len());
        assert_eq!(head, REAL_LABELS_HEAD);
        assert_eq!(&rest[4 + 256..], &[REAL_PAIR_TAIL, b"."].concat()[..]);
    }
}
