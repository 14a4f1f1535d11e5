//! PNG export of the whole ladder: the SVG export (host header included) is loaded as an image from
//! a Blob URL, drawn on a canvas of the same size, and read back with `canvas.toBlob('image/png')`.
//! Whether the ladder fits a canvas is decided first by `domain::ladder::png_size`.

use futures::channel::oneshot;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// Draws `svg` (whose size is `width` × `height` px) as a PNG.
///
/// # Errors
/// The browser could not create the image, the canvas or the PNG (the text says which).
pub async fn svg_to_png(svg: &str, width: u32, height: u32) -> Result<web_sys::Blob, String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(svg));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("image/svg+xml;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| format!("cannot create the SVG: {e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|e| format!("cannot create an image link: {e:?}"))?;
    let drawn = draw(&url, width, height).await;
    let _ = web_sys::Url::revoke_object_url(&url);
    let canvas = drawn?;
    to_png(&canvas).await
}

/// Loads the image at `url` and draws it on a new canvas on a white background.
async fn draw(url: &str, width: u32, height: u32) -> Result<web_sys::HtmlCanvasElement, String> {
    let image =
        web_sys::HtmlImageElement::new().map_err(|e| format!("cannot create an image: {e:?}"))?;
    let (tx, rx) = oneshot::channel::<bool>();
    let tx = std::rc::Rc::new(std::cell::Cell::new(Some(tx)));
    let send = |ok: bool| {
        let tx = tx.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(tx) = tx.take() {
                let _ = tx.send(ok);
            }
        })
    };
    let (on_load, on_error) = (send(true), send(false));
    image.set_onload(Some(on_load.as_ref().unchecked_ref()));
    image.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    image.set_src(url);
    let loaded = rx.await.unwrap_or(false);
    image.set_onload(None);
    image.set_onerror(None);
    if !loaded {
        return Err("the browser could not read the ladder's SVG as an image".into());
    }
    let canvas = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?
        .create_element("canvas")
        .map_err(|e| format!("cannot create a canvas: {e:?}"))?
        .dyn_into::<web_sys::HtmlCanvasElement>()
        .map_err(|_| "not a canvas".to_string())?;
    canvas.set_width(width);
    canvas.set_height(height);
    let context = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
        .ok_or("the browser gave no 2D canvas (the image may be too large)")?;
    context.set_fill_style_str("#ffffff");
    context.fill_rect(0.0, 0.0, f64::from(width), f64::from(height));
    context
        .draw_image_with_html_image_element(&image, 0.0, 0.0)
        .map_err(|e| format!("cannot draw the ladder: {e:?}"))?;
    Ok(canvas)
}

/// The canvas as a PNG blob.
async fn to_png(canvas: &web_sys::HtmlCanvasElement) -> Result<web_sys::Blob, String> {
    let (tx, rx) = oneshot::channel::<Option<web_sys::Blob>>();
    let mut tx = Some(tx);
    let callback = Closure::<dyn FnMut(JsValue)>::new(move |value: JsValue| {
        if let Some(tx) = tx.take() {
            let _ = tx.send(value.dyn_into::<web_sys::Blob>().ok());
        }
    });
    canvas
        .to_blob_with_type(callback.as_ref().unchecked_ref(), "image/png")
        .map_err(|e| format!("cannot encode the PNG: {e:?}"))?;
    rx.await
        .ok()
        .flatten()
        .filter(|b| b.size() > 0.0)
        .ok_or_else(|| "the browser produced no PNG (the image may be too large)".to_string())
}
