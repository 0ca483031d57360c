//! `guanxi user create`: staff accounts from the command line.
#![allow(clippy::print_stdout)] // Prints the generated password alone on the last line.

use crate::{App, Config};
use guanxi_app::staff::{self, StaffError};
use guanxi_store::StaffStore;
use std::io::BufRead;

pub async fn create(
    config: &Config,
    email: &str,
    role: &str,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Some(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        None
    };
    let app = App::build(config).await?;
    let created = staff::create_user(app.store.as_ref(), email, role, password, None)
        .await
        .map_err(|e| match e {
            StaffError::Invalid(field, reason) => anyhow::anyhow!("--{field}: {reason}"),
            other => other.into(),
        })?;
    match created.generated_password {
        Some(password) => {
            println!(
                "Created user {} ({}) with role {role}. The password is shown once:",
                created.user.id, created.user.email
            );
            println!("{password}");
        }
        None => println!(
            "Created user {} ({}) with role {role}.",
            created.user.id, created.user.email
        ),
    }
    app.shutdown().await;
    Ok(())
}

/// The demo shop's owner account.
pub const DEMO_OWNER: &str = "owner@demo.example.com";

/// Makes sure the demo owner can sign in: created on first start, given a fresh password on
/// every `serve --demo` (a demo's password is only ever shown in the terminal that started it).
/// Answers the password.
pub async fn demo_owner(app: &App) -> anyhow::Result<String> {
    let password = staff::generate_password();
    match app.store.user_by_email(DEMO_OWNER).await {
        Ok(user) => staff::reset_password(app.store.as_ref(), &user, &password).await?,
        Err(guanxi_store::StoreError::NotFound(_)) => {
            staff::create_user(
                app.store.as_ref(),
                DEMO_OWNER,
                "owner",
                Some(password.clone()),
                None,
            )
            .await?;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(password)
}
