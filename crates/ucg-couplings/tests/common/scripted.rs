//! A random number generator that returns a script of chosen uniforms, for tests of exact arithmetic at
//! the boundaries of a sampler (where a statistical test cannot see a `<` turned into `<=`).

use rand::TryRng;
use std::collections::VecDeque;
use std::convert::Infallible;

/// Yields, in order, the `u64`s for which `rng.random::<f64>()` returns each scripted uniform exactly
/// (`rand` maps a `u64` to `(bits >> 11) · 2⁻⁵³`), and panics when the script runs out, so that a test also
/// pins down how many draws the code under test makes.
pub struct ScriptedUniforms {
    words: VecDeque<u64>,
}

impl ScriptedUniforms {
    /// The script `uniforms`; each must be a multiple of `2⁻⁵³` in `[0, 1)`.
    pub fn new(uniforms: &[f64]) -> Self {
        let scale = (1u64 << 53) as f64;
        let words = uniforms
            .iter()
            .map(|&u| {
                let m = u * scale;
                assert!(
                    (0.0..scale).contains(&m) && m.fract() == 0.0,
                    "{u} is not a 53-bit uniform"
                );
                (m as u64) << 11
            })
            .collect();
        ScriptedUniforms { words }
    }

    /// Replays raw `u64` words (for example those a [`Recorder`] saw), in order.
    pub fn from_words(words: Vec<u64>) -> Self {
        ScriptedUniforms {
            words: words.into(),
        }
    }

    /// Scripted uniforms not yet drawn.
    pub fn remaining(&self) -> usize {
        self.words.len()
    }
}

/// The largest uniform `rand` can return, `1 − 2⁻⁵³`.
pub const TOP: f64 = 1.0 - f64::EPSILON / 2.0;

impl TryRng for ScriptedUniforms {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.try_next_u64().map(|w| (w >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self
            .words
            .pop_front()
            .expect("the code under test drew more uniforms than scripted"))
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Infallible> {
        unimplemented!("scripted uniforms only")
    }
}

/// Passes a generator's `u64` words through and keeps them, so that a test can replay a draw with one
/// word changed (say, the acceptance uniform of a Metropolis step set to 0).
pub struct Recorder<R> {
    inner: R,
    /// The words drawn so far, in order.
    pub words: Vec<u64>,
}

impl<R: rand::Rng> Recorder<R> {
    /// Records the words `inner` produces.
    pub fn new(inner: R) -> Self {
        Recorder {
            inner,
            words: Vec::new(),
        }
    }
}

impl<R: rand::Rng> TryRng for Recorder<R> {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.try_next_u64().map(|w| (w >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let w = self.inner.next_u64();
        self.words.push(w);
        Ok(w)
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Infallible> {
        unimplemented!("recorded words only")
    }
}
