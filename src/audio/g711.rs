//! TEMPORARY (replaced by the decode branch): continuous µ-law companding.
pub fn mulaw_encode(x: f32) -> u8 {
    let x = x.clamp(-1.0, 1.0);
    let y = x.signum() * (1.0 + 255.0 * x.abs()).ln() / 256f32.ln();
    ((y * 127.5 + 127.5).round()) as u8
}
pub fn mulaw_decode(c: u8) -> f32 {
    let y = (c as f32 - 127.5) / 127.5;
    y.signum() * ((256f32).powf(y.abs()) - 1.0) / 255.0
}
