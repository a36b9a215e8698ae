//! Options several commands share.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use clap::{Args, ValueEnum};
use tonewatch::Role;
use tonewatch::classify::Models;
use tonewatch::classify::model::AngerModel;

/// Which model and norms classify the parties.
#[derive(Args, Clone)]
pub struct ModelArgs {
    /// Anger model to use instead of the built-in one (a file written by `tonewatch train anger`).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Language of the calls: de, en, it, zh or generic. It picks the profile norms (what
    /// counts as fast or lively) and, for de and it, the anger model's own terms for the
    /// language (any other language is judged by the terms all languages share).
    #[arg(long, default_value = "generic")]
    pub language: String,
}

impl ModelArgs {
    pub fn models(&self) -> Result<Models> {
        let models = match &self.model {
            Some(p) => Models::builtin().with_anger_model(Arc::new(AngerModel::load(p)?)),
            None => Models::builtin(),
        };
        Ok(models.with_language(&self.language)?)
    }
}

/// Who speaks on the two channels of a stereo recording or device.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Roles {
    /// Channel 0 is the customer, channel 1 the agent.
    #[value(name = "customer,agent")]
    CustomerAgent,
    /// Channel 0 is the agent, channel 1 the customer.
    #[value(name = "agent,customer")]
    AgentCustomer,
}

impl Roles {
    pub fn roles(self) -> [Role; 2] {
        match self {
            Roles::CustomerAgent => [Role::Customer, Role::Agent],
            Roles::AgentCustomer => [Role::Agent, Role::Customer],
        }
    }
}
