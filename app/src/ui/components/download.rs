//! Saving text the app produced (JSON, CSV, SVG …) as a file download.

use wasm_bindgen::JsCast;

/// Offers `contents` as a download named `file_name`.
///
/// # Errors
/// The browser refused to create the blob or the link (the text says which).
pub fn save_text(file_name: &str, mime: &str, contents: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(contents));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| format!("cannot create the file: {e:?}"))?;
    save_blob(file_name, &blob)
}

/// Offers `bytes` as a download named `file_name`.
///
/// # Errors
/// As [`save_text`].
pub fn save_bytes(file_name: &str, mime: &str, bytes: &[u8]) -> Result<(), String> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| format!("cannot create the file: {e:?}"))?;
    save_blob(file_name, &blob)
}

/// Offers `blob` as a download named `file_name`.
///
/// # Errors
/// As [`save_text`].
pub fn save_blob(file_name: &str, blob: &web_sys::Blob) -> Result<(), String> {
    let url = web_sys::Url::create_object_url_with_blob(blob)
        .map_err(|e| format!("cannot create a download link: {e:?}"))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let anchor = document
        .create_element("a")
        .map_err(|e| format!("{e:?}"))?
        .dyn_into::<web_sys::HtmlAnchorElement>()
        .map_err(|_| "not an anchor".to_string())?;
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
