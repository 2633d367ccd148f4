//! Rebuilds the app when a migration file is added: `sqlx::migrate!` (src/store/migrations.rs)
//! embeds the files of `migrations/` at compile time, and Cargo only notices edits to files it
//! already embedded, not new ones.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
