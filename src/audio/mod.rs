//! Audio in: decoding files, resampling to the analysis rate, the telephone
//! channel simulation, G.711 companding and synthetic voices for tests and demos.

pub mod capture;
pub mod decode;
pub mod g711;
pub mod resample;
pub mod synth;
pub mod telephone;
