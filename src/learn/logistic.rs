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
    fit_weighted(x, y, &balanced_weights(y), l2)
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
pub fn fit_weighted(x: &[Vec<f64>], y: &[bool], sample_w: &[f64], l2: f64) -> Logistic {
    let d = x.first().map_or(0, Vec::len);
    let (mean, scale) = standardisation(x);
    let z = standardise(x, &mean, &scale);
    let beta = newton(&z, y, sample_w, &vec![l2; d]);
    Logistic {
        mean,
        scale,
        bias: beta[d],
        weights: beta[..d].to_vec(),
    }
}

/// Logistic regression over examples that belong to groups (languages):
/// weights shared by every group, plus each group's own deviation from them
/// (weights and bias), penalised per group. A strong penalty keeps a group
/// close to the shared weights; a weak one lets it learn what is its own. A
/// group outside the training data is judged by the shared weights alone.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedLogistic {
    pub shared: Logistic,
    /// Per group, in group order.
    pub deviations: Vec<Deviation>,
}

/// One group's departure from the shared weights, on the shared
/// standardisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Deviation {
    pub weights: Vec<f64>,
    pub bias: f64,
}

impl GroupedLogistic {
    /// Probability of the positive class for an example of `group` (`None`:
    /// a group the model was not trained on).
    pub fn predict(&self, x: &[f64], group: Option<usize>) -> f64 {
        let s = &self.shared;
        let dev = group.and_then(|g| self.deviations.get(g));
        let mut z = s.bias + dev.map_or(0.0, |d| d.bias);
        for (i, v) in x.iter().enumerate() {
            let w = s.weights[i] + dev.map_or(0.0, |d| d.weights[i]);
            z += w * (v - s.mean[i]) / s.scale[i];
        }
        sigmoid(z)
    }
}

/// Fits `y ~ x` with class-balanced example weights, example `i` belonging
/// to group `group[i]`: penalty `l2 / 2 * |w|^2` on the shared standardised
/// weights (not the shared bias) and `group_l2[g] / 2 * |d_g|^2` on group
/// `g`'s deviation (weights and bias).
pub fn fit_grouped(
    x: &[Vec<f64>],
    y: &[bool],
    group: &[usize],
    l2: f64,
    group_l2: &[f64],
) -> GroupedLogistic {
    let d = x.first().map_or(0, Vec::len);
    let groups = group_l2.len();
    let (mean, scale) = standardisation(x);
    // Each row: the shared inputs, then for every group its copy of them and
    // a constant (zero outside the row's own group), then nothing for the
    // shared bias (`newton` adds it).
    let block = d + 1;
    let rows: Vec<Vec<f64>> = standardise(x, &mean, &scale)
        .into_iter()
        .zip(group)
        .map(|(z, &g)| {
            let mut row = vec![0.0; d + groups * block];
            row[..d].copy_from_slice(&z);
            let at = d + g * block;
            row[at..at + d].copy_from_slice(&z);
            row[at + d] = 1.0;
            row
        })
        .collect();
    let mut penalty = vec![l2; d];
    for &p in group_l2 {
        penalty.extend(std::iter::repeat_n(p, block));
    }
    let beta = newton(&rows, y, &balanced_weights(y), &penalty);
    GroupedLogistic {
        shared: Logistic {
            mean,
            scale,
            weights: beta[..d].to_vec(),
            // `newton` puts the bias after the inputs' weights.
            bias: beta[penalty.len()],
        },
        deviations: (0..groups)
            .map(|g| {
                let at = d + g * block;
                Deviation {
                    weights: beta[at..at + d].to_vec(),
                    bias: beta[at + d],
                }
            })
            .collect(),
    }
}

/// Weights that make each class weigh as much as the other in total.
fn balanced_weights(y: &[bool]) -> Vec<f64> {
    let n = y.len() as f64;
    let pos = y.iter().filter(|&&v| v).count().max(1) as f64;
    let neg = (n - pos).max(1.0);
    y.iter()
        .map(|&v| if v { n / (2.0 * pos) } else { n / (2.0 * neg) })
        .collect()
}

/// Newton's method for weighted logistic regression on the rows `z` with
/// penalty `penalty[i] / 2 * beta_i^2` on each input's weight; returns the
/// weights followed by the (unpenalised) bias.
// Matrix code: indices say more than iterator chains here.
#[allow(clippy::needless_range_loop)]
fn newton(z: &[Vec<f64>], y: &[bool], sample_w: &[f64], penalty: &[f64]) -> Vec<f64> {
    let d = penalty.len();
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
                if xi == 0.0 {
                    continue;
                }
                grad[i] += r * xi;
                for j in 0..=i {
                    let xj = if j == d { 1.0 } else { row[j] };
                    hess[i][j] += h * xi * xj;
                }
            }
        }
        for i in 0..d {
            grad[i] += penalty[i] * beta[i];
            hess[i][i] += penalty[i];
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
    beta
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
    fn each_group_learns_its_own_direction_as_far_as_its_penalty_lets_it() {
        // The label follows feature 0 in group 0 and feature 1 in group 1.
        let mut rng = Rng::new(9);
        let (mut x, mut y, mut g) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..800 {
            let group = i % 2;
            let row = vec![rng.gaussian(), rng.gaussian()];
            y.push(row[group] + 0.3 * rng.gaussian() > 0.0);
            x.push(row);
            g.push(group);
        }
        let free = fit_grouped(&x, &y, &g, 1.0, &[1.0, 1.0]);
        let correct = |m: &GroupedLogistic| {
            x.iter()
                .zip(&y)
                .zip(&g)
                .filter(|&((r, &l), &k)| (m.predict(r, Some(k)) > 0.5) == l)
                .count() as f64
                / x.len() as f64
        };
        assert!(correct(&free) > 0.9, "{free:?}");
        let w = |m: &GroupedLogistic, k: usize, i: usize| {
            m.shared.weights[i] + m.deviations[k].weights[i]
        };
        assert!(w(&free, 0, 0) > 2.0 * w(&free, 0, 1).abs(), "{free:?}");
        assert!(w(&free, 1, 1) > 2.0 * w(&free, 1, 0).abs(), "{free:?}");
        // Both held to the shared weights, one direction has to serve both.
        let held = fit_grouped(&x, &y, &g, 1.0, &[1e9, 1e9]);
        assert!(held.deviations[1].weights.iter().all(|v| v.abs() < 1e-4));
        assert!(correct(&held) < correct(&free) - 0.1, "{held:?}");
        assert_eq!(free, fit_grouped(&x, &y, &g, 1.0, &[1.0, 1.0]));
    }

    #[test]
    fn solves_a_small_system() {
        let a = vec![vec![4.0, 2.0], vec![2.0, 3.0]];
        let x = solve(a, vec![2.0, 1.0]).unwrap();
        assert!((4.0 * x[0] + 2.0 * x[1] - 2.0).abs() < 1e-12);
        assert!((2.0 * x[0] + 3.0 * x[1] - 1.0).abs() < 1e-12);
    }
}
