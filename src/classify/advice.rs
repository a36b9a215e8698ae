//! What the alerts say: the evidence behind them and advice for the agent, in
//! English and Chinese. The advice follows what complaint-handling trainers
//! teach (handle the feeling first, then the matter; don't interrupt; pause
//! before answering when hit by the caller's emotion), in our own words.

use serde::Serialize;

use crate::Role;

/// How the party's voice differs from their baseline (rounded for display).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Evidence {
    /// Pitch level over the baseline, semitones.
    pub pitch_st: Option<f64>,
    /// Active speech level over the baseline, dB.
    pub level_db: Option<f64>,
    /// High-frequency balance over the baseline, dB (vocal effort).
    pub spectral_balance_db: Option<f64>,
    /// Speech rate over the baseline, percent.
    pub speech_rate_pct: Option<f64>,
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

impl Evidence {
    pub fn new(
        pitch_st: Option<f64>,
        level_db: Option<f64>,
        balance_db: Option<f64>,
        rate_pct: Option<f64>,
    ) -> Self {
        Self {
            pitch_st: pitch_st.map(round1),
            level_db: level_db.map(round1),
            spectral_balance_db: balance_db.map(round1),
            speech_rate_pct: rate_pct.map(f64::round),
        }
    }

    /// The notable differences as a short English phrase.
    pub fn text_en(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = self.pitch_st.filter(|v| v.abs() >= 1.0) {
            parts.push(format!("pitch {v:+.1} st over baseline"));
        }
        if let Some(v) = self.level_db.filter(|v| v.abs() >= 2.0) {
            parts.push(format!("level {v:+.1} dB"));
        }
        if let Some(v) = self.spectral_balance_db.filter(|v| v.abs() >= 1.5) {
            let how = if v > 0.0 { "tenser" } else { "softer" };
            parts.push(format!("voice {how} ({v:+.1} dB high-frequency balance)"));
        }
        if let Some(v) = self.speech_rate_pct.filter(|v| v.abs() >= 10.0) {
            let how = if v > 0.0 { "faster" } else { "slower" };
            parts.push(format!("{} % {how}", v.abs()));
        }
        if parts.is_empty() {
            "voice quality changed from baseline".into()
        } else {
            parts.join(", ")
        }
    }

    /// The same in Chinese.
    pub fn text_zh(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = self.pitch_st.filter(|v| v.abs() >= 1.0) {
            let how = if v > 0.0 { "高" } else { "低" };
            parts.push(format!("音调比平时{how} {:.1} 半音", v.abs()));
        }
        if let Some(v) = self.level_db.filter(|v| v.abs() >= 2.0) {
            let how = if v > 0.0 { "大" } else { "小" };
            parts.push(format!("音量{how} {:.1} dB", v.abs()));
        }
        if let Some(v) = self.spectral_balance_db.filter(|v| v.abs() >= 1.5) {
            let how = if v > 0.0 { "更紧" } else { "更松" };
            parts.push(format!("声音{how}（高频 {v:+.1} dB）"));
        }
        if let Some(v) = self.speech_rate_pct.filter(|v| v.abs() >= 10.0) {
            let how = if v > 0.0 { "快" } else { "慢" };
            parts.push(format!("语速{how} {:.0}%", v.abs()));
        }
        if parts.is_empty() {
            "音色与平时不同".into()
        } else {
            parts.join("，")
        }
    }
}

/// Advice when a party's anger rises.
pub fn anger_advice(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::Customer => (
            "The caller's anger is rising. Deal with the feeling before the problem: let them finish without interrupting, \
             say you understand why they are upset, keep your own voice low and even, then offer one concrete next step and when it will happen.",
            "客户的情绪正在升温。先处理情绪，再处理问题：让客户把话说完，不要打断；告诉客户您理解他为什么生气；\
             保持自己的声音平稳、音量放低；然后给出一个具体的下一步，并说明什么时候完成。",
        ),
        Role::Agent => (
            "Your own voice is heating up. Pause for about six seconds before answering, breathe out, lower your volume and pace, \
             and answer the problem rather than the tone.",
            "您自己的情绪正在升高。回答之前先停顿约六秒，呼一口气，放低音量、放慢语速；回应问题本身，而不是对方的语气。",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_names_the_notable_cues_only() {
        let e = Evidence::new(Some(4.14), Some(7.0), Some(0.4), Some(12.3));
        assert_eq!(
            e.text_en(),
            "pitch +4.1 st over baseline, level +7.0 dB, 12 % faster"
        );
        assert_eq!(
            e.text_zh(),
            "音调比平时高 4.1 半音，音量大 7.0 dB，语速快 12%"
        );
    }
}
