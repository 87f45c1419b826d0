//! Scratch PostgreSQL databases: a fresh, uniquely named database on a
//! server (created with `CREATE DATABASE`) that is dropped again when the
//! handle goes away. Test support, shared by the store's unit tests and the
//! integration suite so both run every check on a clean database.

/// A database that exists for as long as this value does.
#[derive(Debug)]
pub struct ScratchPostgres {
    /// Connection URL of the scratch database.
    pub url: String,
    admin: String,
    name: String,
}

impl ScratchPostgres {
    /// Creates `{prefix}_{random}` on the server `admin_url` points at.
    pub async fn create(admin_url: &str, prefix: &str) -> Result<ScratchPostgres, sqlx::Error> {
        let name = format!("{prefix}_{}", rand::random::<u64>());
        let pool = sqlx::PgPool::connect(admin_url).await?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await?;
        pool.close().await;
        let mut url = url::Url::parse(admin_url).map_err(|e| sqlx::Error::Configuration(Box::new(e)))?;
        url.set_path(&name);
        Ok(ScratchPostgres { url: url.to_string(), admin: admin_url.to_string(), name })
    }
}

impl Drop for ScratchPostgres {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Best effort, on a thread with its own runtime: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                let pool = sqlx::PgPool::connect(&admin).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await.ok()
            })
        })
        .join();
    }
}
