//! Second-order IIR sections (biquads) and Butterworth cascades.
//!
//! Used for the analysis front end (removing DC and hum) and for the telephone
//! channel simulation. Coefficients follow the RBJ audio-EQ cookbook.

use std::f64::consts::PI;

/// One biquad in transposed direct form II (good numerical behaviour in f32).
#[derive(Debug, Clone)]
pub struct Biquad {
    b0: f32,
    b1: f32,
    b2: f32,
    a1: f32,
    a2: f32,
    z1: f32,
    z2: f32,
}

impl Biquad {
    fn from_coeffs(b: [f64; 3], a: [f64; 3]) -> Self {
        Self {
            b0: (b[0] / a[0]) as f32,
            b1: (b[1] / a[0]) as f32,
            b2: (b[2] / a[0]) as f32,
            a1: (a[1] / a[0]) as f32,
            a2: (a[2] / a[0]) as f32,
            z1: 0.0,
            z2: 0.0,
        }
    }

    /// High-pass at `fc` Hz with quality factor `q` (0.7071 for Butterworth).
    pub fn highpass(fc: f64, q: f64, fs: f64) -> Self {
        let w0 = 2.0 * PI * fc / fs;
        let (s, c) = w0.sin_cos();
        let alpha = s / (2.0 * q);
        Self::from_coeffs(
            [(1.0 + c) / 2.0, -(1.0 + c), (1.0 + c) / 2.0],
            [1.0 + alpha, -2.0 * c, 1.0 - alpha],
        )
    }

    /// Low-pass at `fc` Hz with quality factor `q`.
    pub fn lowpass(fc: f64, q: f64, fs: f64) -> Self {
        let w0 = 2.0 * PI * fc / fs;
        let (s, c) = w0.sin_cos();
        let alpha = s / (2.0 * q);
        Self::from_coeffs(
            [(1.0 - c) / 2.0, 1.0 - c, (1.0 - c) / 2.0],
            [1.0 + alpha, -2.0 * c, 1.0 - alpha],
        )
    }

    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let y = self.b0 * x + self.z1;
        self.z1 = self.b1 * x - self.a1 * y + self.z2;
        self.z2 = self.b2 * x - self.a2 * y;
        y
    }

    pub fn reset(&mut self) {
        self.z1 = 0.0;
        self.z2 = 0.0;
    }
}

/// Q factors of the biquads of an even-order Butterworth filter.
fn butterworth_qs(order: usize) -> impl Iterator<Item = f64> {
    let n = order as f64;
    (0..order / 2).map(move |k| {
        let theta = PI * (2.0 * k as f64 + 1.0) / (2.0 * n);
        1.0 / (2.0 * theta.sin())
    })
}

/// A cascade of biquads.
#[derive(Debug, Clone, Default)]
pub struct Cascade {
    sections: Vec<Biquad>,
}

impl Cascade {
    /// Butterworth high-pass of even `order` (2, 4, 6, ...).
    pub fn butter_highpass(order: usize, fc: f64, fs: f64) -> Self {
        Self {
            sections: butterworth_qs(order)
                .map(|q| Biquad::highpass(fc, q, fs))
                .collect(),
        }
    }

    /// Butterworth low-pass of even `order`.
    pub fn butter_lowpass(order: usize, fc: f64, fs: f64) -> Self {
        Self {
            sections: butterworth_qs(order)
                .map(|q| Biquad::lowpass(fc, q, fs))
                .collect(),
        }
    }

    /// Appends another cascade's sections (e.g. high-pass then low-pass = band-pass).
    pub fn then(mut self, other: Cascade) -> Self {
        self.sections.extend(other.sections);
        self
    }

    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        self.sections.iter_mut().fold(x, |acc, s| s.process(acc))
    }

    pub fn process_in_place(&mut self, buf: &mut [f32]) {
        for s in &mut self.sections {
            for x in buf.iter_mut() {
                *x = s.process(*x);
            }
        }
    }

    pub fn reset(&mut self) {
        self.sections.iter_mut().for_each(Biquad::reset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gain_at(c: &mut Cascade, f: f64, fs: f64) -> f64 {
        c.reset();
        let n = (fs * 2.0) as usize;
        let mut e_in = 0.0;
        let mut e_out = 0.0;
        for i in 0..n {
            let x = (2.0 * PI * f * i as f64 / fs).sin() as f32;
            let y = c.process(x);
            if i > n / 2 {
                e_in += (x * x) as f64;
                e_out += (y * y) as f64;
            }
        }
        10.0 * (e_out / e_in).log10()
    }

    #[test]
    fn butterworth_bandpass_has_expected_response() {
        let fs = 8000.0;
        let mut bp =
            Cascade::butter_highpass(4, 300.0, fs).then(Cascade::butter_lowpass(4, 3400.0, fs));
        assert!((gain_at(&mut bp, 1000.0, fs)).abs() < 0.3);
        assert!((gain_at(&mut bp, 300.0, fs) + 3.0).abs() < 0.5);
        assert!(gain_at(&mut bp, 100.0, fs) < -30.0);
        assert!(gain_at(&mut bp, 3900.0, fs) < -10.0);
    }
}
