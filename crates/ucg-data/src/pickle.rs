//! A minimal pickle virtual machine: enough of the pickle protocol (0 to 4) to read numpy arrays pickled by
//! Python 2's cPickle (protocol 2), as in the classic `mnist.pkl.gz`, and by Python 3 at protocols 2 to 4.
//!
//! It never imports or runs anything: a `GLOBAL` only names a callable, and `REDUCE` interprets the few
//! callables that build numpy arrays (`numpy.core.multiarray._reconstruct`, `numpy.dtype`, `_codecs.encode`);
//! other calls are kept as inert [`Object::Reduced`] records. Objects live in an arena and are referred to by
//! index, so the memo shares them as Python does (a dtype memoized before its `BUILD` sees the state set later).
//! Unsupported opcodes give an error naming them.

use std::io::{BufRead, Read};
use std::sync::Arc;

use crate::DataError;
pub use crate::numpy::{Dtype, NdArray};

/// A value on the pickle machine's stack.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Python `None`.
    None,
    /// A boolean.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A float.
    Float(f64),
    /// A byte string (a Python 2 `str` or a Python 3 `bytes`).
    Bytes(Arc<Vec<u8>>),
    /// A unicode string.
    Str(String),
    /// A tuple.
    Tuple(Vec<Value>),
    /// A global name (`module`, `name`), never imported.
    Global(String, String),
    /// A mutable object in [`Unpickled::objects`], by index.
    Object(usize),
}

/// A mutable object built while unpickling.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    /// A numpy array (from `_reconstruct` and its `BUILD` state).
    Array(NdArray),
    /// A numpy dtype.
    Dtype(Dtype),
    /// A list.
    List(Vec<Value>),
    /// Any other call `callable(*args)`, kept uninterpreted, with the state given to it by `BUILD`.
    Reduced {
        /// The callable (usually a [`Value::Global`]).
        callable: Value,
        /// The arguments.
        args: Value,
        /// The state passed by `BUILD`, if any.
        state: Option<Value>,
    },
}

/// The result of unpickling: the root value and the objects it refers to.
#[derive(Debug, Clone, PartialEq)]
pub struct Unpickled {
    /// The value left on the stack by `STOP`.
    pub root: Value,
    /// The objects that [`Value::Object`] indices refer to.
    pub objects: Vec<Object>,
}

impl Unpickled {
    /// The elements of a tuple value, or an error naming `what` was expected.
    pub fn tuple<'a>(
        &self,
        v: &'a Value,
        len: usize,
        what: &str,
    ) -> Result<&'a [Value], DataError> {
        match v {
            Value::Tuple(items) if items.len() == len => Ok(items),
            other => Err(DataError::Pickle(format!(
                "expected {what} (a tuple of {len}), found {}",
                describe(other)
            ))),
        }
    }

    /// Takes the numpy array that value `v` refers to out of the object arena.
    pub fn take_array(&mut self, v: &Value, what: &str) -> Result<NdArray, DataError> {
        let not_array = || {
            DataError::Pickle(format!(
                "expected {what} (a numpy array), found {}",
                describe(v)
            ))
        };
        let Value::Object(id) = v else {
            return Err(not_array());
        };
        match self.objects.get_mut(*id) {
            Some(Object::Array(a)) => Ok(std::mem::replace(
                a,
                NdArray {
                    shape: vec![0],
                    dtype: a.dtype.clone(),
                    fortran_order: false,
                    data: Vec::new(),
                },
            )),
            _ => Err(not_array()),
        }
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Tuple(t) => format!("a tuple of {}", t.len()),
        Value::Bytes(b) => format!("a byte string of {} bytes", b.len()),
        Value::Global(m, n) => format!("the global {m}.{n}"),
        Value::Object(i) => format!("object #{i}"),
        other => format!("{other:?}"),
    }
}

fn perr(msg: impl Into<String>) -> DataError {
    DataError::Pickle(msg.into())
}

enum Slot {
    Mark,
    Value(Value),
}

struct Machine {
    stack: Vec<Slot>,
    memo: Vec<Option<Value>>,
    objects: Vec<Object>,
}

/// Largest memo index accepted (a corrupt stream must not make the memo allocate without bound).
const MAX_MEMO: usize = 1 << 24;

impl Machine {
    fn push(&mut self, v: Value) {
        self.stack.push(Slot::Value(v));
    }

    fn pop(&mut self) -> Result<Value, DataError> {
        match self.stack.pop() {
            Some(Slot::Value(v)) => Ok(v),
            Some(Slot::Mark) => Err(perr("unexpected mark on the stack")),
            None => Err(perr("stack underflow")),
        }
    }

    fn top(&mut self) -> Result<&mut Value, DataError> {
        match self.stack.last_mut() {
            Some(Slot::Value(v)) => Ok(v),
            _ => Err(perr("stack underflow")),
        }
    }

    fn pop_to_mark(&mut self) -> Result<Vec<Value>, DataError> {
        let mark = self
            .stack
            .iter()
            .rposition(|s| matches!(s, Slot::Mark))
            .ok_or_else(|| perr("no mark on the stack"))?;
        let items = self
            .stack
            .drain(mark..)
            .skip(1)
            .map(|s| match s {
                Slot::Value(v) => v,
                Slot::Mark => Value::None,
            })
            .collect();
        Ok(items)
    }

    fn pop_n(&mut self, n: usize) -> Result<Vec<Value>, DataError> {
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.pop()?);
        }
        items.reverse();
        Ok(items)
    }

    fn memo_put(&mut self, index: usize) -> Result<(), DataError> {
        if index > MAX_MEMO {
            return Err(perr(format!("memo index {index} too large")));
        }
        let v = self.top()?.clone();
        if self.memo.len() <= index {
            self.memo.resize(index + 1, None);
        }
        self.memo[index] = Some(v);
        Ok(())
    }

    fn memo_get(&mut self, index: usize) -> Result<(), DataError> {
        let v = self
            .memo
            .get(index)
            .cloned()
            .flatten()
            .ok_or_else(|| perr(format!("memo index {index} is empty")))?;
        self.push(v);
        Ok(())
    }

    fn new_object(&mut self, o: Object) -> Value {
        self.objects.push(o);
        Value::Object(self.objects.len() - 1)
    }

    fn reduce(&mut self, callable: Value, args: Value) -> Result<Value, DataError> {
        let Value::Global(module, name) = &callable else {
            return Ok(self.new_object(Object::Reduced {
                callable,
                args,
                state: None,
            }));
        };
        let items = match &args {
            Value::Tuple(items) => items.as_slice(),
            _ => return Err(perr("REDUCE arguments are not a tuple")),
        };
        match (module.as_str(), name.as_str()) {
            ("numpy.core.multiarray" | "numpy._core.multiarray", "_reconstruct") => Ok(self
                .new_object(Object::Array(NdArray {
                    shape: vec![0],
                    dtype: Dtype {
                        descr: "f8".into(),
                        byteorder: '=',
                    },
                    fortran_order: false,
                    data: Vec::new(),
                }))),
            ("numpy", "dtype") => {
                let spec = match items.first() {
                    Some(Value::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
                    Some(Value::Str(s)) => s.clone(),
                    _ => return Err(perr("numpy.dtype called without a type string")),
                };
                let dt = Dtype::parse(&spec)?;
                Ok(self.new_object(Object::Dtype(dt)))
            }
            ("_codecs", "encode") => match items {
                // Python 3 writes bytes at protocol 2 as _codecs.encode(str, 'latin1').
                [Value::Str(s), Value::Str(enc)] if enc == "latin1" || enc == "latin-1" => {
                    let bytes: Option<Vec<u8>> =
                        s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
                    let bytes =
                        bytes.ok_or_else(|| perr("non-latin1 character in encoded bytes"))?;
                    Ok(Value::Bytes(Arc::new(bytes)))
                }
                _ => Err(perr("unsupported _codecs.encode call")),
            },
            _ => Ok(self.new_object(Object::Reduced {
                callable,
                args,
                state: None,
            })),
        }
    }

    fn build(&mut self, state: Value) -> Result<(), DataError> {
        let Value::Object(id) = *self.top()? else {
            return Err(perr("BUILD on a value that is not an object"));
        };
        match self.objects.get(id) {
            Some(Object::Array(_)) => {
                let array = self.array_from_state(state)?;
                self.objects[id] = Object::Array(array);
            }
            Some(Object::Dtype(_)) => {
                let order = match &state {
                    Value::Tuple(items) => match items.get(1) {
                        Some(Value::Str(s)) if s.chars().count() == 1 => s.chars().next(),
                        Some(Value::Bytes(b)) if b.len() == 1 => Some(char::from(b[0])),
                        _ => None,
                    },
                    _ => None,
                };
                let order = order.ok_or_else(|| perr("dtype state without a byte order"))?;
                if let Some(Object::Dtype(dt)) = self.objects.get_mut(id) {
                    dt.byteorder = order;
                }
            }
            Some(Object::Reduced { .. }) => {
                if let Some(Object::Reduced { state: s, .. }) = self.objects.get_mut(id) {
                    *s = Some(state);
                }
            }
            _ => return Err(perr("BUILD on an object that takes no state")),
        }
        Ok(())
    }

    /// numpy's `ndarray.__setstate__`: `(version, shape, dtype, is_fortran, data)` or the same without version.
    fn array_from_state(&self, state: Value) -> Result<NdArray, DataError> {
        let Value::Tuple(mut items) = state else {
            return Err(perr("array state is not a tuple"));
        };
        if items.len() == 5 {
            items.remove(0);
        }
        let [shape, dtype, fortran, data] = <[Value; 4]>::try_from(items)
            .map_err(|items| perr(format!("array state has {} items", items.len())))?;
        let shape = match shape {
            Value::Tuple(dims) => dims
                .iter()
                .map(|d| match d {
                    Value::Int(n) => usize::try_from(*n).map_err(|_| perr("negative dimension")),
                    _ => Err(perr("non-integer dimension")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(perr("array shape is not a tuple")),
        };
        let dtype = match dtype {
            Value::Object(d) => match self.objects.get(d) {
                Some(Object::Dtype(dt)) => dt.clone(),
                _ => return Err(perr("array state without a dtype")),
            },
            _ => return Err(perr("array state without a dtype")),
        };
        let fortran_order = matches!(fortran, Value::Bool(true) | Value::Int(1));
        let data = match data {
            Value::Bytes(b) => Arc::try_unwrap(b).unwrap_or_else(|shared| shared.as_ref().clone()),
            Value::Str(s) => s.chars().map(|c| c as u32 as u8).collect(),
            other => return Err(perr(format!("array data is {}", describe(&other)))),
        };
        let expected = shape
            .iter()
            .try_fold(dtype.itemsize()?, |a, &d| a.checked_mul(d));
        if expected != Some(data.len()) {
            return Err(perr(format!(
                "array of shape {shape:?} and dtype {} has {} data bytes",
                dtype.descr,
                data.len()
            )));
        }
        Ok(NdArray {
            shape,
            dtype,
            fortran_order,
            data,
        })
    }
}

fn read_exact_n<R: Read>(r: &mut R, n: usize) -> Result<Vec<u8>, DataError> {
    let mut buf = Vec::new();
    buf.try_reserve(n.min(1 << 20))
        .map_err(|e| perr(e.to_string()))?;
    r.take(n as u64)
        .read_to_end(&mut buf)
        .map_err(|e| perr(format!("read error: {e}")))?;
    if buf.len() != n {
        return Err(perr(format!(
            "truncated stream: needed {n} bytes, found {}",
            buf.len()
        )));
    }
    Ok(buf)
}

fn read_array<R: Read, const N: usize>(r: &mut R) -> Result<[u8; N], DataError> {
    let mut b = [0u8; N];
    r.read_exact(&mut b)
        .map_err(|e| perr(format!("truncated stream: {e}")))?;
    Ok(b)
}

fn read_line<R: BufRead>(r: &mut R) -> Result<String, DataError> {
    let mut line = Vec::new();
    r.take(4096)
        .read_until(b'\n', &mut line)
        .map_err(|e| perr(format!("read error: {e}")))?;
    if line.pop() != Some(b'\n') {
        return Err(perr("unterminated name in GLOBAL"));
    }
    String::from_utf8(line).map_err(|_| perr("GLOBAL name is not UTF-8"))
}

fn len_u32(b: [u8; 4]) -> usize {
    u32::from_le_bytes(b) as usize
}

/// The opcodes this machine understands, named as in Python's `pickletools`.
mod op {
    pub(crate) const PROTO: u8 = 0x80;
    pub(crate) const FRAME: u8 = 0x95;
    pub(crate) const STOP: u8 = b'.';
    pub(crate) const MARK: u8 = b'(';
    pub(crate) const POP: u8 = b'0';
    pub(crate) const POP_MARK: u8 = b'1';
    pub(crate) const DUP: u8 = b'2';
    pub(crate) const NONE: u8 = b'N';
    pub(crate) const NEWTRUE: u8 = 0x88;
    pub(crate) const NEWFALSE: u8 = 0x89;
    pub(crate) const BININT: u8 = b'J';
    pub(crate) const BININT1: u8 = b'K';
    pub(crate) const BININT2: u8 = b'M';
    pub(crate) const LONG1: u8 = 0x8a;
    pub(crate) const BINFLOAT: u8 = b'G';
    pub(crate) const SHORT_BINSTRING: u8 = b'U';
    pub(crate) const SHORT_BINBYTES: u8 = b'C';
    pub(crate) const BINSTRING: u8 = b'T';
    pub(crate) const BINBYTES: u8 = b'B';
    pub(crate) const BINUNICODE: u8 = b'X';
    pub(crate) const SHORT_BINUNICODE: u8 = 0x8c;
    pub(crate) const EMPTY_TUPLE: u8 = b')';
    pub(crate) const TUPLE: u8 = b't';
    pub(crate) const TUPLE1: u8 = 0x85;
    pub(crate) const TUPLE3: u8 = 0x87;
    pub(crate) const EMPTY_LIST: u8 = b']';
    pub(crate) const APPEND: u8 = b'a';
    pub(crate) const APPENDS: u8 = b'e';
    pub(crate) const GLOBAL: u8 = b'c';
    pub(crate) const STACK_GLOBAL: u8 = 0x93;
    pub(crate) const REDUCE: u8 = b'R';
    pub(crate) const BUILD: u8 = b'b';
    pub(crate) const BINPUT: u8 = b'q';
    pub(crate) const LONG_BINPUT: u8 = b'r';
    pub(crate) const MEMOIZE: u8 = 0x94;
    pub(crate) const BINGET: u8 = b'h';
    pub(crate) const LONG_BINGET: u8 = b'j';
}

/// Runs a pickle stream (not compressed) to its `STOP` opcode.
pub fn unpickle<R: BufRead>(mut r: R) -> Result<Unpickled, DataError> {
    let mut m = Machine {
        stack: Vec::new(),
        memo: Vec::new(),
        objects: Vec::new(),
    };
    loop {
        let [op] = read_array::<_, 1>(&mut r)?;
        match op {
            op::PROTO => {
                let [proto] = read_array::<_, 1>(&mut r)?;
                if proto > 4 {
                    return Err(perr(format!("pickle protocol {proto} is not supported")));
                }
            }
            op::FRAME => {
                read_array::<_, 8>(&mut r)?; // FRAME: a length hint only
            }
            op::STOP => {
                let root = m.pop()?;
                return Ok(Unpickled {
                    root,
                    objects: m.objects,
                });
            }
            op::MARK => m.stack.push(Slot::Mark),
            op::POP => {
                m.stack.pop().ok_or_else(|| perr("stack underflow"))?;
            }
            op::POP_MARK => {
                m.pop_to_mark()?;
            }
            op::DUP => {
                let v = m.top()?.clone();
                m.push(v);
            }
            op::NONE => m.push(Value::None),
            op::NEWTRUE => m.push(Value::Bool(true)),
            op::NEWFALSE => m.push(Value::Bool(false)),
            op::BININT => {
                let v = i32::from_le_bytes(read_array(&mut r)?);
                m.push(Value::Int(i64::from(v)));
            }
            op::BININT1 => {
                let [v] = read_array::<_, 1>(&mut r)?;
                m.push(Value::Int(i64::from(v)));
            }
            op::BININT2 => {
                let v = u16::from_le_bytes(read_array(&mut r)?);
                m.push(Value::Int(i64::from(v)));
            }
            op::LONG1 => {
                let [n] = read_array::<_, 1>(&mut r)?;
                let bytes = read_exact_n(&mut r, usize::from(n))?;
                if n > 8 {
                    return Err(perr("integer wider than 64 bits"));
                }
                let mut b = if bytes.last().is_some_and(|&x| x & 0x80 != 0) {
                    [0xff; 8]
                } else {
                    [0; 8]
                };
                b[..bytes.len()].copy_from_slice(&bytes);
                m.push(Value::Int(i64::from_le_bytes(b)));
            }
            op::BINFLOAT => m.push(Value::Float(f64::from_be_bytes(read_array(&mut r)?))),
            op::SHORT_BINSTRING | op::SHORT_BINBYTES => {
                let [n] = read_array::<_, 1>(&mut r)?;
                let b = read_exact_n(&mut r, usize::from(n))?;
                m.push(Value::Bytes(Arc::new(b)));
            }
            op::BINSTRING | op::BINBYTES => {
                let n = i32::from_le_bytes(read_array(&mut r)?);
                let n = usize::try_from(n).map_err(|_| perr("negative string length"))?;
                let b = read_exact_n(&mut r, n)?;
                m.push(Value::Bytes(Arc::new(b)));
            }
            op::BINUNICODE | op::SHORT_BINUNICODE => {
                let n = if op == op::BINUNICODE {
                    len_u32(read_array(&mut r)?)
                } else {
                    usize::from(read_array::<_, 1>(&mut r)?[0])
                };
                let b = read_exact_n(&mut r, n)?;
                let s = String::from_utf8(b).map_err(|_| perr("invalid UTF-8 string"))?;
                m.push(Value::Str(s));
            }
            op::EMPTY_TUPLE => m.push(Value::Tuple(Vec::new())),
            op::TUPLE => {
                let items = m.pop_to_mark()?;
                m.push(Value::Tuple(items));
            }
            op::TUPLE1..=op::TUPLE3 => {
                let items = m.pop_n(usize::from(op - op::TUPLE1 + 1))?;
                m.push(Value::Tuple(items));
            }
            op::EMPTY_LIST => {
                let v = m.new_object(Object::List(Vec::new()));
                m.push(v);
            }
            op::APPEND | op::APPENDS => {
                let items = if op == op::APPEND {
                    vec![m.pop()?]
                } else {
                    m.pop_to_mark()?
                };
                let Value::Object(id) = *m.top()? else {
                    return Err(perr("APPEND to a value that is not a list"));
                };
                match m.objects.get_mut(id) {
                    Some(Object::List(l)) => l.extend(items),
                    _ => return Err(perr("APPEND to an object that is not a list")),
                }
            }
            op::GLOBAL => {
                let module = read_line(&mut r)?;
                let name = read_line(&mut r)?;
                m.push(Value::Global(module, name));
            }
            op::STACK_GLOBAL => {
                let name = m.pop()?;
                let module = m.pop()?;
                match (module, name) {
                    (Value::Str(module), Value::Str(name)) => m.push(Value::Global(module, name)),
                    _ => return Err(perr("STACK_GLOBAL needs two strings")),
                }
            }
            op::REDUCE => {
                let args = m.pop()?;
                let callable = m.pop()?;
                let v = m.reduce(callable, args)?;
                m.push(v);
            }
            op::BUILD => {
                let state = m.pop()?;
                m.build(state)?;
            }
            op::BINPUT => {
                let [i] = read_array::<_, 1>(&mut r)?;
                m.memo_put(usize::from(i))?;
            }
            op::LONG_BINPUT => {
                let i = len_u32(read_array(&mut r)?);
                m.memo_put(i)?;
            }
            op::MEMOIZE => {
                let i = m.memo.len();
                m.memo_put(i)?;
            }
            op::BINGET => {
                let [i] = read_array::<_, 1>(&mut r)?;
                m.memo_get(usize::from(i))?;
            }
            op::LONG_BINGET => {
                let i = len_u32(read_array(&mut r)?);
                m.memo_get(i)?;
            }
            other => {
                return Err(perr(format!(
                    "unsupported opcode 0x{other:02x} ({:?})",
                    char::from(other)
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pickle_writer::{ArraySpec, PickleWriter};

    fn run(bytes: &[u8]) -> Result<Unpickled, DataError> {
        unpickle(bytes)
    }

    #[test]
    fn reads_arrays_with_shared_dtypes() {
        let mut w = PickleWriter::new();
        w.array(&ArraySpec::f32(&[2, 2], &[0.0, 0.25, -1.5, 3.0]));
        w.array(&ArraySpec::i64(&[-3, 7]));
        w.array(&ArraySpec::f32(&[1], &[2.0])); // reuses the memoized float32 dtype
        w.tuple(3);
        let mut u = run(&w.finish()).unwrap();
        let root = u.root.clone();
        let items = u.tuple(&root, 3, "triple").unwrap().to_vec();
        let a = u.take_array(&items[0], "a").unwrap();
        assert_eq!(a.shape, vec![2, 2]);
        assert_eq!(a.dtype.byteorder, '<');
        assert_eq!(a.to_f32().unwrap(), vec![0.0, 0.25, -1.5, 3.0]);
        assert!(a.to_i64().is_err());
        let b = u.take_array(&items[1], "b").unwrap();
        assert_eq!(b.to_i64().unwrap(), vec![-3, 7]);
        let c = u.take_array(&items[2], "c").unwrap();
        assert_eq!(c.dtype, a.dtype);
        assert_eq!(c.to_f32().unwrap(), vec![2.0]);
        assert!(u.take_array(&Value::Int(1), "x").is_err());
    }

    #[test]
    fn big_endian_and_narrow_integers() {
        let dt = Dtype::parse(">i2").unwrap();
        let a = NdArray {
            shape: vec![2],
            dtype: dt,
            fortran_order: false,
            data: vec![0xff, 0xfe, 0x01, 0x00],
        };
        assert_eq!(a.to_i64().unwrap(), vec![-2, 256]);
        let u = NdArray {
            shape: vec![1],
            dtype: Dtype::parse("u1").unwrap(),
            fortran_order: false,
            data: vec![200],
        };
        assert_eq!(u.to_i64().unwrap(), vec![200]);
        assert!(Dtype::parse("c16").is_err());
        assert!(Dtype::parse("f3").is_err());
    }

    #[test]
    fn scalar_opcodes_and_python3_strings() {
        // PROTO 3, BININT -5, LONG1 2 bytes 0x0100, BINFLOAT 1.5, SHORT_BINUNICODE "hé", SHORT_BINBYTES,
        // NEWTRUE, NONE, EMPTY_TUPLE, MARK ... TUPLE, MEMOIZE, BINGET, POP, STOP.
        let mut p = vec![0x80, 3, b'('];
        p.push(b'J');
        p.extend_from_slice(&(-5i32).to_le_bytes());
        p.extend_from_slice(&[0x8a, 2, 0x00, 0x01]);
        p.push(b'G');
        p.extend_from_slice(&1.5f64.to_be_bytes());
        p.extend_from_slice(&[0x8c, 3]);
        p.extend_from_slice("hé".as_bytes());
        p.extend_from_slice(&[
            b'C', 2, 7, 8, 0x88, b'N', b')', b't', 0x94, b'h', 0, b'0', b'.',
        ]);
        let u = run(&p).unwrap();
        let Value::Tuple(items) = &u.root else {
            panic!("{:?}", u.root)
        };
        assert_eq!(items[0], Value::Int(-5));
        assert_eq!(items[1], Value::Int(256));
        assert_eq!(items[2], Value::Float(1.5));
        assert_eq!(items[3], Value::Str("hé".into()));
        assert_eq!(items[4], Value::Bytes(Arc::new(vec![7, 8])));
        assert_eq!(items[5], Value::Bool(true));
        assert_eq!(items[6], Value::None);
        assert_eq!(items[7], Value::Tuple(vec![]));
    }

    #[test]
    fn lists_and_codecs_encode() {
        // ]( K1 K2 e  -> [1, 2];  c_codecs\nencode\n ( X"\xff" X"latin1" t R  -> b"\xff"
        let mut p = vec![0x80, 2, b']', b'(', b'K', 1, b'K', 2, b'e'];
        p.extend_from_slice(b"c_codecs\nencode\n(");
        p.push(b'X');
        p.extend_from_slice(&2u32.to_le_bytes());
        p.extend_from_slice("\u{ff}".as_bytes());
        p.push(b'X');
        p.extend_from_slice(&6u32.to_le_bytes());
        p.extend_from_slice(b"latin1tR\x86.");
        let u = run(&p).unwrap();
        let Value::Tuple(items) = &u.root else {
            panic!()
        };
        assert_eq!(
            u.objects[0],
            Object::List(vec![Value::Int(1), Value::Int(2)])
        );
        assert_eq!(items[1], Value::Bytes(Arc::new(vec![0xff])));
    }

    #[test]
    fn malformed_streams_are_errors() {
        let cases: &[&[u8]] = &[
            b"",                           // nothing
            b"\x80\x02",                   // no STOP
            b"\x80\x05N.",                 // protocol 5
            b"\x80\x02.",                  // empty stack at STOP
            b"\x80\x02t.",                 // TUPLE without MARK
            b"\x80\x02h\x05.",             // memo miss
            b"\x80\x02T\xff\xff\xff\x7f",  // huge string, truncated
            b"\x80\x02T\x00\x00\x00\x80",  // negative length
            b"\x80\x02cnumpy\ndtype",      // unterminated GLOBAL
            b"\x80\x02K\x01N\x86b.",       // BUILD on a non-object
            b"\x80\x02}.",                 // unsupported opcode (EMPTY_DICT)
            b"\x80\x02r\xff\xff\xff\xff.", // memo index too large
        ];
        for c in cases {
            assert!(matches!(run(c), Err(DataError::Pickle(_))), "{c:?}");
        }
        // An array whose data length does not match its shape.
        let mut w = PickleWriter::new();
        w.array(&ArraySpec {
            shape: vec![3],
            dtype: "i8",
            data: vec![0; 16],
        });
        assert!(matches!(run(&w.finish()), Err(DataError::Pickle(m)) if m.contains("data bytes")));
    }
}
