//! L2-regularised logistic regression, fitted by Newton's method.
//!
//! Small and exact: a few dozen features and a few thousand examples, solved
//! to convergence in a handful of iterations, so training is reproducible to
//! the last digit on any machine (no random initialisation, no minibatches).

/// A fitted model on standardised features.
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    pub weights: Vec<f64>,
    pub bias: f64,
}

impl Logistic {
    /// Probability of the positive class.
    pub fn predict(&self, x: &[f64]) -> f64 {
        let z = self.bias
            + x.iter()
                .zip(&self.mean)
                .zip(&self.scale)
                .zip(&self.weights)
                .map(|(((v, m), s), w)| w * (v - m) / s)
                .sum::<f64>();
        sigmoid(z)
    }
}

pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Fits `y ~ x` with class-balanced example weights (each class weighs as
/// much as the other in total) and penalty `l2 / 2 * |w|^2` on the
/// standardised weights (not the bias).
pub fn fit(x: &[Vec<f64>], y: &[bool], l2: f64) -> Logistic {
    let n = y.len() as f64;
    let pos = y.iter().filter(|&&v| v).count().max(1) as f64;
    let neg = (n - pos).max(1.0);
    let w: Vec<f64> = y
        .iter()
        .map(|&v| if v { n / (2.0 * pos) } else { n / (2.0 * neg) })
        .collect();
    fit_weighted(x, y, &w, l2)
}

/// Mean and standard deviation of each column of `x` (1 for a constant
/// column).
pub fn standardisation(x: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let n = x.len();
    let d = x.first().map_or(0, Vec::len);
    let mut mean = vec![0.0; d];
    let mut scale = vec![0.0; d];
    for row in x {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v / n as f64;
        }
    }
    for row in x {
        for ((s, v), m) in scale.iter_mut().zip(row).zip(&mean) {
            *s += (v - m) * (v - m) / n as f64;
        }
    }
    for s in &mut scale {
        *s = if *s > 1e-12 { s.sqrt() } else { 1.0 };
    }
    (mean, scale)
}

/// `x` standardised column by column.
pub fn standardise(x: &[Vec<f64>], mean: &[f64], scale: &[f64]) -> Vec<Vec<f64>> {
    x.iter()
        .map(|r| {
            r.iter()
                .zip(mean)
                .zip(scale)
                .map(|((v, m), s)| (v - m) / s)
                .collect()
        })
        .collect()
}

/// Fits `y ~ x` with the given example weights and penalty `l2 / 2 * |w|^2`
/// on the standardised weights (not the bias).
// Matrix code: indices say more than iterator chains here.
#[allow(clippy::needless_range_loop)]
pub fn fit_weighted(x: &[Vec<f64>], y: &[bool], sample_w: &[f64], l2: f64) -> Logistic {
    let d = x.first().map_or(0, Vec::len);
    let (mean, scale) = standardisation(x);
    let z = standardise(x, &mean, &scale);

    // Parameters: weights 0..d, bias at d.
    let mut beta = vec![0.0; d + 1];
    for _ in 0..50 {
        let mut grad = vec![0.0; d + 1];
        let mut hess = vec![vec![0.0; d + 1]; d + 1];
        for ((row, &label), &sw) in z.iter().zip(y).zip(sample_w) {
            let eta = beta[d] + row.iter().zip(&beta).map(|(a, b)| a * b).sum::<f64>();
            let p = sigmoid(eta);
            let r = sw * (p - if label { 1.0 } else { 0.0 });
            let h = sw * p * (1.0 - p);
            for i in 0..=d {
                let xi = if i == d { 1.0 } else { row[i] };
                grad[i] += r * xi;
                for j in 0..=i {
                    let xj = if j == d { 1.0 } else { row[j] };
                    hess[i][j] += h * xi * xj;
                }
            }
        }
        for i in 0..d {
            grad[i] += l2 * beta[i];
            hess[i][i] += l2;
        }
        // Keep the bias direction well-posed even for separable data.
        hess[d][d] += 1e-9;
        for i in 0..=d {
            for j in 0..i {
                hess[j][i] = hess[i][j];
            }
        }
        let Some(step) = solve(hess, grad) else { break };
        let mut max = 0.0f64;
        for (b, s) in beta.iter_mut().zip(&step) {
            *b -= s;
            max = max.max(s.abs());
        }
        if max < 1e-10 {
            break;
        }
    }
    Logistic {
        mean,
        scale,
        bias: beta[d],
        weights: beta[..d].to_vec(),
    }
}

/// Solves `a x = b` for symmetric positive definite `a` (Cholesky).
#[allow(clippy::needless_range_loop)]
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for j in 0..n {
        let mut d = a[j][j];
        for k in 0..j {
            d -= a[j][k] * a[j][k];
        }
        if d <= 0.0 {
            return None;
        }
        let d = d.sqrt();
        a[j][j] = d;
        for i in j + 1..n {
            let mut v = a[i][j];
            for k in 0..j {
                v -= a[i][k] * a[j][k];
            }
            a[i][j] = v / d;
        }
    }
    for i in 0..n {
        for k in 0..i {
            b[i] -= a[i][k] * b[k];
        }
        b[i] /= a[i][i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            b[i] -= a[k][i] * b[k];
        }
        b[i] /= a[i][i];
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::synth::Rng;

    #[test]
    fn recovers_a_known_direction_and_separates_classes() {
        let mut rng = Rng::new(5);
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..600 {
            let label = i % 3 == 0;
            let shift = if label { 1.5 } else { -0.5 };
            x.push(vec![rng.gaussian() + shift, rng.gaussian() * 3.0, 10.0]);
            y.push(label);
        }
        let m = fit(&x, &y, 1.0);
        assert!(m.weights[0] > 1.0, "{m:?}");
        assert!(m.weights[1].abs() < 0.3, "{m:?}");
        let correct = x
            .iter()
            .zip(&y)
            .filter(|&(r, &l)| (m.predict(r) > 0.5) == l)
            .count();
        assert!(correct as f64 / 600.0 > 0.8);
        // Deterministic.
        assert_eq!(m, fit(&x, &y, 1.0));
    }

    #[test]
    fn solves_a_small_system() {
        let a = vec![vec![4.0, 2.0], vec![2.0, 3.0]];
        let x = solve(a, vec![2.0, 1.0]).unwrap();
        assert!((4.0 * x[0] + 2.0 * x[1] - 2.0).abs() < 1e-12);
        assert!((2.0 * x[0] + 3.0 * x[1] - 1.0).abs() < 1e-12);
    }
}
