//! The WASM entry point: mount the app and nothing else.

fn main() {
    app::ui::start();
}
