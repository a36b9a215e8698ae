//! A small neural network for binary decisions: standardised inputs, one
//! hidden layer of rectified linear units, a logistic output. Fitted by Adam
//! on shuffled minibatches of the mean log-loss plus `l2 / 2 * |W|^2` on the
//! weights of both layers (not the biases).
//!
//! Training is deterministic: the initial weights and the order of the
//! minibatches come from a seeded PCG generator and every sum runs in a fixed
//! order, so the same data gives the same model to the last digit on the same
//! platform. Evaluation ([`Folded::logit`]) allocates nothing.

use serde::{Deserialize, Serialize};

use super::logistic::sigmoid;
use crate::audio::synth::Rng;

/// A fitted network (as stored in model files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mlp {
    /// Standardisation: input `i` enters as `(x_i - mean_i) / scale_i`.
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    /// One row of input weights per hidden unit.
    pub hidden_weights: Vec<Vec<f64>>,
    pub hidden_bias: Vec<f64>,
    pub output_weights: Vec<f64>,
    pub output_bias: f64,
}

/// How to fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MlpParams {
    pub hidden: usize,
    pub l2: f64,
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub seed: u64,
}

impl Mlp {
    /// Log-odds of the positive class.
    pub fn logit(&self, x: &[f64]) -> f64 {
        let z: Vec<f64> = x
            .iter()
            .zip(&self.mean)
            .zip(&self.scale)
            .map(|((v, m), s)| (v - m) / s)
            .collect();
        forward(self, &z, None)
    }

    /// Checks that the network has `inputs` inputs, 1 to [`MAX_HIDDEN`]
    /// hidden units and a positive scale (what a model file must hold).
    pub fn check(&self, inputs: usize) -> Result<(), String> {
        let h = self.hidden_weights.len();
        if h == 0 || h > MAX_HIDDEN || self.hidden_bias.len() != h || self.output_weights.len() != h
        {
            return Err(format!(
                "{h} hidden units (1 to {MAX_HIDDEN} supported) with {} biases and {} output weights",
                self.hidden_bias.len(),
                self.output_weights.len()
            ));
        }
        for (name, v) in std::iter::once(("mean", &self.mean))
            .chain(std::iter::once(("scale", &self.scale)))
            .chain(self.hidden_weights.iter().map(|w| ("hidden_weights", w)))
        {
            if v.len() != inputs {
                return Err(format!("{name} has {} values, expected {inputs}", v.len()));
            }
        }
        if self.scale.iter().any(|&s| s.is_nan() || s <= 0.0) {
            return Err("non-positive scale".into());
        }
        Ok(())
    }

    /// The network with the standardisation folded into the first layer, in
    /// `f32`, for the hot path: see [`Folded::logit`]. Refused unless
    /// [`Mlp::check`] passes.
    pub fn folded(&self) -> Result<Folded, String> {
        let d = self.mean.len();
        self.check(d)?;
        let h = self.hidden_weights.len();
        let blocks = h.div_ceil(LANES);
        // Input-major, in blocks of LANES hidden units (the last padded with
        // zero weights): the weights of input `i` to every hidden unit are
        // contiguous, so evaluation updates all units at once per input.
        let mut weights = vec![[0.0f32; LANES]; d * blocks];
        let mut bias = vec![[0.0f32; LANES]; blocks];
        let mut output_weights = vec![[0.0f32; LANES]; blocks];
        for (j, (row, b)) in self
            .hidden_weights
            .iter()
            .zip(&self.hidden_bias)
            .enumerate()
        {
            let (block, lane) = (j / LANES, j % LANES);
            let mut b = *b;
            for (i, ((w, m), s)) in row.iter().zip(&self.mean).zip(&self.scale).enumerate() {
                weights[i * blocks + block][lane] = (w / s) as f32;
                b -= w * m / s;
            }
            bias[block][lane] = b as f32;
            output_weights[block][lane] = self.output_weights[j] as f32;
        }
        Ok(Folded {
            blocks,
            weights,
            bias,
            output_weights,
            output_bias: self.output_bias as f32,
        })
    }
}

/// Most hidden units a [`Folded`] network evaluates (its activations live on
/// the stack).
pub const MAX_HIDDEN: usize = 64;
/// Hidden units evaluated together (fixed-size blocks the compiler turns
/// into vector instructions).
const LANES: usize = 8;

/// An [`Mlp`] ready for evaluation on raw `f32` inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Folded {
    /// Blocks of [`LANES`] hidden units.
    blocks: usize,
    /// `weights[i * blocks + b]`: from input `i` to the units of block `b`.
    weights: Vec<[f32; LANES]>,
    bias: Vec<[f32; LANES]>,
    output_weights: Vec<[f32; LANES]>,
    output_bias: f32,
}

impl Folded {
    /// Log-odds of the positive class; `x` has the network's input count.
    pub fn logit(&self, x: &[f32]) -> f32 {
        let mut acc = [[0.0f32; LANES]; MAX_HIDDEN / LANES];
        let acc = &mut acc[..self.blocks];
        acc.copy_from_slice(&self.bias);
        for (v, row) in x.iter().zip(self.weights.chunks_exact(self.blocks)) {
            for (a, w) in acc.iter_mut().zip(row) {
                for k in 0..LANES {
                    a[k] += w[k] * v;
                }
            }
        }
        let mut z = self.output_bias;
        for (a, w) in acc.iter().zip(&self.output_weights) {
            for k in 0..LANES {
                z += w[k] * a[k].max(0.0);
            }
        }
        z
    }
}

/// The output log-odds for standardised inputs `z`; with `hidden`, also the
/// hidden units' activations.
fn forward(m: &Mlp, z: &[f64], mut hidden: Option<&mut [f64]>) -> f64 {
    let mut out = m.output_bias;
    for (j, (row, b)) in m.hidden_weights.iter().zip(&m.hidden_bias).enumerate() {
        let a = (b + row.iter().zip(z).map(|(w, v)| w * v).sum::<f64>()).max(0.0);
        if let Some(h) = hidden.as_deref_mut() {
            h[j] = a;
        }
        out += m.output_weights[j] * a;
    }
    out
}

/// Adam's moments for one parameter vector.
struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Adam {
    fn new(n: usize) -> Self {
        Self {
            m: vec![0.0; n],
            v: vec![0.0; n],
        }
    }

    /// One step on `params` along `grad`; `lr` includes the bias corrections.
    fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        const B1: f64 = 0.9;
        const B2: f64 = 0.999;
        for (((p, g), m), v) in params
            .iter_mut()
            .zip(grad)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            *m = B1 * *m + (1.0 - B1) * g;
            *v = B2 * *v + (1.0 - B2) * g * g;
            *p -= lr * *m / (v.sqrt() + 1e-8);
        }
    }
}

/// Fits `y ~ x`. `x` must be non-empty with rows of equal length.
// Matrix code: indices say more than iterator chains here.
#[allow(clippy::needless_range_loop)]
pub fn fit(x: &[Vec<f64>], y: &[bool], p: &MlpParams) -> Mlp {
    let n = x.len();
    let d = x.first().map_or(0, Vec::len);
    let (mean, scale) = super::logistic::standardisation(x);
    let z = super::logistic::standardise(x, &mean, &scale);
    let h = p.hidden.max(1);
    let mut rng = Rng::new(p.seed);
    // Glorot-uniform initial weights, zero biases.
    let bound1 = (6.0 / (d + h) as f64).sqrt();
    let bound2 = (6.0 / (h + 1) as f64).sqrt();
    let mut m = Mlp {
        mean,
        scale,
        hidden_weights: (0..h)
            .map(|_| (0..d).map(|_| rng.uniform(-bound1, bound1)).collect())
            .collect(),
        hidden_bias: vec![0.0; h],
        output_weights: (0..h).map(|_| rng.uniform(-bound2, bound2)).collect(),
        output_bias: 0.0,
    };
    let mut adam_w1: Vec<Adam> = (0..h).map(|_| Adam::new(d)).collect();
    let mut adam_b1 = Adam::new(h);
    let mut adam_w2 = Adam::new(h);
    let mut adam_b2 = Adam::new(1);
    let mut g_w1 = vec![vec![0.0; d]; h];
    let mut g_b1 = vec![0.0; h];
    let mut g_w2 = vec![0.0; h];
    let mut hidden = vec![0.0; h];
    let mut order: Vec<usize> = (0..n).collect();
    let batch = p.batch.clamp(1, n.max(1));
    let mut t = 0i32;
    for _ in 0..p.epochs {
        // Fisher–Yates shuffle.
        for i in (1..n).rev() {
            order.swap(i, rng.index(i + 1));
        }
        for chunk in order.chunks(batch) {
            for g in &mut g_w1 {
                g.fill(0.0);
            }
            g_b1.fill(0.0);
            g_w2.fill(0.0);
            let mut g_b2 = 0.0;
            for &i in chunk {
                let out = forward(&m, &z[i], Some(&mut hidden));
                // d(log-loss)/d(output log-odds).
                let e = sigmoid(out) - f64::from(u8::from(y[i]));
                g_b2 += e;
                for j in 0..h {
                    g_w2[j] += e * hidden[j];
                    if hidden[j] > 0.0 {
                        let back = e * m.output_weights[j];
                        g_b1[j] += back;
                        for (g, v) in g_w1[j].iter_mut().zip(&z[i]) {
                            *g += back * v;
                        }
                    }
                }
            }
            let k = 1.0 / chunk.len() as f64;
            for j in 0..h {
                for (g, w) in g_w1[j].iter_mut().zip(&m.hidden_weights[j]) {
                    *g = *g * k + p.l2 * w;
                }
                g_b1[j] *= k;
                g_w2[j] = g_w2[j] * k + p.l2 * m.output_weights[j];
            }
            t += 1;
            let lr = p.learning_rate * (1.0 - 0.999f64.powi(t)).sqrt() / (1.0 - 0.9f64.powi(t));
            for j in 0..h {
                adam_w1[j].step(&mut m.hidden_weights[j], &g_w1[j], lr);
            }
            adam_b1.step(&mut m.hidden_bias, &g_b1, lr);
            adam_w2.step(&mut m.output_weights, &g_w2, lr);
            let mut b2 = [m.output_bias];
            adam_b2.step(&mut b2, &[g_b2 * k], lr);
            m.output_bias = b2[0];
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// XOR-like data no linear model can separate.
    fn xor(n: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<bool>) {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|_| {
                let a = rng.uniform(-1.0, 1.0);
                let b = rng.uniform(-1.0, 1.0);
                (vec![10.0 + 3.0 * a, -5.0 + 0.5 * b], (a > 0.0) != (b > 0.0))
            })
            .unzip()
    }

    fn params() -> MlpParams {
        MlpParams {
            hidden: 8,
            l2: 1e-4,
            epochs: 60,
            batch: 32,
            learning_rate: 0.01,
            seed: 7,
        }
    }

    #[test]
    fn learns_what_a_line_cannot() {
        let (x, y) = xor(2000, 1);
        let m = fit(&x, &y, &params());
        let (tx, ty) = xor(500, 2);
        let right = tx
            .iter()
            .zip(&ty)
            .filter(|(r, t)| (m.logit(r) > 0.0) == **t)
            .count();
        assert!(right > 450, "{right} of 500 right");
        // A linear model sits near chance on this.
        let lin = crate::learn::logistic::fit(&x, &y, 1.0);
        let lin_right = tx
            .iter()
            .zip(&ty)
            .filter(|(r, t)| (lin.predict(r) > 0.5) == **t)
            .count();
        assert!(lin_right < 350, "{lin_right} of 500 right");
    }

    #[test]
    fn fitting_is_deterministic_and_the_seed_matters() {
        let (x, y) = xor(300, 3);
        let p = params();
        assert_eq!(fit(&x, &y, &p), fit(&x, &y, &p));
        assert_ne!(fit(&x, &y, &p), fit(&x, &y, &MlpParams { seed: 8, ..p }));
    }

    #[test]
    fn folded_network_matches_the_exact_one() {
        let (x, y) = xor(500, 4);
        // 11 units: one full block of 8 and one padded.
        let m = fit(
            &x,
            &y,
            &MlpParams {
                hidden: 11,
                ..params()
            },
        );
        let f = m.folded().unwrap();
        for r in x.iter().take(50) {
            let r32: Vec<f32> = r.iter().map(|&v| v as f32).collect();
            assert!((f.logit(&r32) as f64 - m.logit(r)).abs() < 1e-3);
        }
        let too_wide = MlpParams {
            hidden: MAX_HIDDEN + 1,
            epochs: 1,
            ..params()
        };
        assert!(fit(&x, &y, &too_wide).folded().is_err());
    }
}
