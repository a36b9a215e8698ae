//! Small statistics for the evaluations.

pub fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Pearson correlation of paired values.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let mut sxy = 0.0;
    let mut sxx = 0.0;
    let mut syy = 0.0;
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

/// Mean absolute difference of paired values.
pub fn mae(x: &[f64], y: &[f64]) -> f64 {
    mean(
        &x.iter()
            .zip(y)
            .map(|(a, b)| (a - b).abs())
            .collect::<Vec<_>>(),
    )
}

/// Median (sorts a copy).
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return f64::NAN;
    }
    crate::measures::window::percentile(&s, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_of_linear_relation_is_one() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [3.0, 5.0, 7.0, 9.0];
        assert!((pearson(&x, &y) - 1.0).abs() < 1e-12);
        assert!((pearson(&x, &[9.0, 7.0, 5.0, 3.0]) + 1.0).abs() < 1e-12);
        assert_eq!(mae(&x, &y), 3.5);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }
}
