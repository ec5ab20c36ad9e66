//! `sqlx::migrate!` embeds the migrations and `include_str!` the templates at compile time;
//! rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=templates");
}
