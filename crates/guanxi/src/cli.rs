//! The command line, as DESIGN.md fixes it: scripts rely on these names and on secrets being
//! printed alone on the last line of stdout.

use crate::commands;
use crate::config::Config;
use clap::{Parser, Subcommand};
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "guanxi",
    version,
    about = "Guanxi (关系): a self-hosted CRM for online shops"
)]
pub struct Cli {
    /// Configuration file (optional; GUANXI_* environment variables override it).
    #[arg(long, global = true, default_value = "guanxi.toml")]
    pub config: PathBuf,
    /// Database URL: sqlite://PATH (default sqlite://guanxi-data/guanxi.db) or postgres://…
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and console.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// Load the demo shop when the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Copy a consistent snapshot of the SQLite database to FILE.
    Backup { file: PathBuf },
    /// Import a channel's export file.
    Import {
        file: PathBuf,
        /// taobao, jd, shopify, orders-csv or customers-csv
        #[arg(long)]
        format: String,
        /// The source (channel) to import as; created with the file's kind if missing.
        #[arg(long)]
        source: String,
    },
    /// Manage API keys.
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage sources (channels).
    Source {
        #[command(subcommand)]
        command: SourceCommand,
    },
    /// The secret key that seals personal data at rest.
    Secret {
        #[command(subcommand)]
        command: SecretCommand,
    },
    /// Check the models against a data set of your own.
    Evaluate {
        #[command(subcommand)]
        command: EvaluateCommand,
    },
    /// Generate the demo shop into the database.
    Demo {
        #[arg(long, default_value_t = 10_000)]
        customers: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum EvaluateCommand {
    /// Fit BG/NBD and Gamma-Gamma on a transactions CSV (customer_id,date,amount) and print the
    /// parameters and each customer's predictions as JSON, with weeks as the time unit.
    Clv {
        file: PathBuf,
        /// Last day of the calibration period (YYYY-MM-DD); the models see purchases up to it.
        #[arg(long)]
        calibration_end: String,
        /// Last day of the holdout period, to compare the predictions with what happened.
        #[arg(long)]
        holdout_end: Option<String>,
        /// Months of lifetime value counted.
        #[arg(long, default_value_t = 12)]
        months: u32,
        /// Discount rate per month for lifetime value.
        #[arg(long, default_value_t = 0.01)]
        monthly_discount_rate: f64,
    },
    /// Class the customers of a transactions CSV (customer_id,date,amount) by RFM as of a day:
    /// the eight classes against the averages, quintile scores and their groups, as JSON.
    Rfm {
        file: PathBuf,
        /// The day recency is counted to (YYYY-MM-DD); later purchases are left out.
        #[arg(long)]
        as_of: String,
    },
    /// Hold out each repeat customer's last order from an order-lines CSV
    /// (customer_id,order_id,date,sku), train the item-to-item recommender on the rest, and
    /// print its hit rate at k against best sellers as JSON.
    Recommendations {
        file: PathBuf,
        /// How many products are offered to each customer.
        #[arg(long, default_value_t = 10)]
        k: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApikeyCommand {
    /// Create an API key; prints it alone on the last line.
    Create {
        #[arg(long)]
        name: String,
        /// Comma-separated: ingest, read, write, admin
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account; prints a generated password alone on the last line.
    Create {
        #[arg(long)]
        email: String,
        /// owner, marketer, analyst, service_agent, sales_rep, or a custom role's key
        #[arg(long)]
        role: String,
        /// Read the password from the first line of stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Print a new random secret key (for GUANXI_SECRET_KEY) alone on the last line.
    Generate,
    /// Re-seal all personal data with a new data key (run with the servers stopped).
    Rotate {
        /// Also replace the secret key with the one on the first line of stdin.
        #[arg(long)]
        new_secret_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Register a channel; prints its write key (Shopify: webhook secret) alone on the last line.
    Create {
        #[arg(long)]
        name: String,
        /// segment, shopify, taobao, jd or api
        #[arg(long)]
        kind: String,
    },
    /// List the registered channels.
    List,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let mut config = Config::load(&cli.config, &env)?;
    if let Some(url) = cli.database_url {
        config.database_url = url;
    }
    crate::telemetry::init(&config.log_format);
    match cli.command {
        Command::Serve { listen, demo } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            commands::serve::run(&config, demo).await
        }
        Command::Migrate => commands::keys::migrate(&config).await,
        Command::Backup { file } => commands::keys::backup(&config, &file).await,
        Command::Import {
            file,
            format,
            source,
        } => commands::import::run(&config, &file, &format, &source).await,
        Command::Apikey {
            command: ApikeyCommand::Create { name, scopes },
        } => commands::keys::create_api_key(&config, &name, &scopes).await,
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    role,
                    password_stdin,
                },
        } => commands::users::create(&config, &email, &role, password_stdin).await,
        Command::Source {
            command: SourceCommand::Create { name, kind },
        } => commands::keys::create_source(&config, &name, &kind).await,
        Command::Source {
            command: SourceCommand::List,
        } => commands::keys::list_sources(&config).await,
        Command::Secret {
            command: SecretCommand::Generate,
        } => {
            commands::secret::generate();
            Ok(())
        }
        Command::Secret {
            command: SecretCommand::Rotate { new_secret_stdin },
        } => commands::secret::rotate(&config, new_secret_stdin).await,
        Command::Evaluate {
            command:
                EvaluateCommand::Clv {
                    file,
                    calibration_end,
                    holdout_end,
                    months,
                    monthly_discount_rate,
                },
        } => commands::evaluate::clv(
            &file,
            &calibration_end,
            holdout_end.as_deref(),
            guanxi_engine::clv::ClvOptions {
                months,
                monthly_discount_rate,
            },
        ),
        Command::Evaluate {
            command: EvaluateCommand::Rfm { file, as_of },
        } => commands::evaluate::rfm(&file, &as_of),
        Command::Evaluate {
            command: EvaluateCommand::Recommendations { file, k },
        } => commands::evaluate_recommendations::run(&file, k),
        Command::Demo { customers, seed } => commands::demo::run(&config, customers, seed).await,
    }
}
