//! The few ALSA calls a cue needs, from `libasound.so.2` loaded at run time: the build needs
//! no ALSA headers and the binary runs (with the bell) where ALSA is not installed.
//!
//! alsa-lib prints its errors to stderr, which would land on the console's screen. The
//! global hook for that, `snd_lib_error_set_handler`, takes a C-variadic function, which
//! stable Rust cannot define (and passing a non-variadic one in its place is undefined
//! behaviour). The thread-local hooks take a `va_list` instead of `...`, so a plain
//! `extern "C" fn` is a correct handler: `snd_lib_error_set_local` (in alsa-lib for over a
//! decade) and, since 1.2.15, `snd_lib_log_set_local`, which also covers warnings. Both are installed on
//! the thread that loads the library, so a [`Pcm`] is `!Send`: it must stay on that thread.

use std::ffi::{CStr, CString, c_char, c_int, c_long, c_uint, c_ulong, c_void};
use std::ptr::{self, NonNull};

use libloading::Library;

const STREAM_PLAYBACK: c_int = 0;
const OPEN_NONBLOCK: c_int = 1;
const ACCESS_RW_INTERLEAVED: c_int = 3;
#[cfg(target_endian = "little")]
const FORMAT_S16: c_int = 2; // SND_PCM_FORMAT_S16_LE
#[cfg(target_endian = "big")]
const FORMAT_S16: c_int = 3; // SND_PCM_FORMAT_S16_BE
/// Let ALSA (or the sound server behind it) convert the rate when the device wants another.
const SOFT_RESAMPLE: c_int = 1;
/// Low, so a cue is heard when the scan is seen; cues are short, underruns cost nothing.
const LATENCY_US: c_uint = 50_000;

/// `snd_pcm_t`, only ever passed back to ALSA.
type Handle = *mut c_void;
/// `va_list` as a parameter is pointer-sized or passed by reference on the targets we build
/// for (x86-64: an array that decays to a pointer; aarch64: a 32-byte struct passed by
/// reference), and the handlers never read it.
type VaList = *mut c_void;
type ErrorHandler =
    unsafe extern "C" fn(*const c_char, c_int, *const c_char, c_int, *const c_char, VaList);
type LogHandler = unsafe extern "C" fn(
    c_int,
    c_int,
    *const c_char,
    c_int,
    *const c_char,
    c_int,
    *const c_char,
    VaList,
);

#[derive(Debug, thiserror::Error)]
pub enum AlsaError {
    #[error("cannot load {library}: {reason}")]
    Load { library: String, reason: String },
    #[error("{library} has no {symbol}: {reason}")]
    Symbol {
        library: String,
        symbol: &'static str,
        reason: String,
    },
    #[error("device name {0:?} contains a NUL byte")]
    DeviceName(String),
    #[error("{call} on {device:?}: {reason}")]
    Call {
        call: &'static str,
        device: String,
        reason: String,
    },
}

/// The entry points used, copied out of the library (which stays loaded, see [`load`]).
#[derive(Clone, Copy)]
struct Api {
    open: unsafe extern "C" fn(*mut Handle, *const c_char, c_int, c_int) -> c_int,
    nonblock: unsafe extern "C" fn(Handle, c_int) -> c_int,
    set_params: unsafe extern "C" fn(Handle, c_int, c_int, c_uint, c_uint, c_int, c_uint) -> c_int,
    writei: unsafe extern "C" fn(Handle, *const c_void, c_ulong) -> c_long,
    recover: unsafe extern "C" fn(Handle, c_int, c_int) -> c_int,
    drain: unsafe extern "C" fn(Handle) -> c_int,
    prepare: unsafe extern "C" fn(Handle) -> c_int,
    close: unsafe extern "C" fn(Handle) -> c_int,
    strerror: unsafe extern "C" fn(c_int) -> *const c_char,
}

/// Loads alsa-lib and silences it on the calling thread.
fn load(library: &str) -> Result<Api, AlsaError> {
    // SAFETY: loading runs the library's initialisers; alsa-lib's only set up its own state.
    let lib = unsafe { Library::new(library) }.map_err(|e| AlsaError::Load {
        library: library.into(),
        reason: e.to_string(),
    })?;
    let symbol = |symbol: &'static str| {
        move |e: libloading::Error| AlsaError::Symbol {
            library: library.into(),
            symbol,
            reason: e.to_string(),
        }
    };
    // SAFETY: every type below is the signature alsa-lib's headers (pcm.h, error.h) declare
    // for that name, with snd_pcm_uframes_t = unsigned long and snd_pcm_sframes_t = long.
    let api = unsafe {
        Api {
            open: *lib.get("snd_pcm_open").map_err(symbol("snd_pcm_open"))?,
            nonblock: *lib
                .get("snd_pcm_nonblock")
                .map_err(symbol("snd_pcm_nonblock"))?,
            set_params: *lib
                .get("snd_pcm_set_params")
                .map_err(symbol("snd_pcm_set_params"))?,
            writei: *lib
                .get("snd_pcm_writei")
                .map_err(symbol("snd_pcm_writei"))?,
            recover: *lib
                .get("snd_pcm_recover")
                .map_err(symbol("snd_pcm_recover"))?,
            drain: *lib.get("snd_pcm_drain").map_err(symbol("snd_pcm_drain"))?,
            prepare: *lib
                .get("snd_pcm_prepare")
                .map_err(symbol("snd_pcm_prepare"))?,
            close: *lib.get("snd_pcm_close").map_err(symbol("snd_pcm_close"))?,
            strerror: *lib.get("snd_strerror").map_err(symbol("snd_strerror"))?,
        }
    };
    // An ALSA that cannot be silenced is not used at all: the bell is better than a
    // message over the screen.
    // SAFETY: the setters take and return a handler of the declared type (error.h); the
    // handlers are plain functions that live as long as the program.
    unsafe {
        let set_error_local = lib
            .get::<unsafe extern "C" fn(Option<ErrorHandler>) -> Option<ErrorHandler>>(
                "snd_lib_error_set_local",
            )
            .map_err(symbol("snd_lib_error_set_local"))?;
        set_error_local(Some(discard_error));
        if let Ok(set_log_local) = lib
            .get::<unsafe extern "C" fn(Option<LogHandler>) -> Option<LogHandler>>(
                "snd_lib_log_set_local",
            )
        {
            set_log_local(Some(discard_log));
        }
    }
    // Never unloaded: the function pointers in `Api` point into it, and sound-server plugins
    // that alsa-lib loads (pulse, pipewire) keep threads that must not outlive their code.
    std::mem::forget(lib);
    Ok(api)
}

unsafe extern "C" fn discard_error(
    _file: *const c_char,
    _line: c_int,
    _function: *const c_char,
    _err: c_int,
    _fmt: *const c_char,
    _args: VaList,
) {
}

#[allow(clippy::too_many_arguments)] // alsa-lib's signature, not ours
unsafe extern "C" fn discard_log(
    _priority: c_int,
    _interface: c_int,
    _file: *const c_char,
    _line: c_int,
    _function: *const c_char,
    _err: c_int,
    _fmt: *const c_char,
    _args: VaList,
) {
}

/// An open playback device taking mono signed 16-bit samples.
pub struct Pcm {
    api: Api,
    handle: NonNull<c_void>,
    device: String,
}

impl Pcm {
    /// Loads `library` and opens `device` for mono S16 at `rate`. Fails at once (never waits)
    /// when the device is busy.
    pub fn open(library: &str, device: &str, rate: u32) -> Result<Pcm, AlsaError> {
        let api = load(library)?;
        let name = CString::new(device).map_err(|_| AlsaError::DeviceName(device.into()))?;
        let mut raw: Handle = ptr::null_mut();
        // Opened non-blocking so a device held by another program is an error, not a hang.
        // SAFETY: `raw` is a valid place for the handle; `name` is NUL-terminated and
        // outlives the call.
        let rc = unsafe { (api.open)(&mut raw, name.as_ptr(), STREAM_PLAYBACK, OPEN_NONBLOCK) };
        let Some(handle) = NonNull::new(raw).filter(|_| rc >= 0) else {
            return Err(AlsaError::Call {
                call: "snd_pcm_open",
                device: device.into(),
                reason: describe(api, rc),
            });
        };
        // From here on, dropping `pcm` closes the handle.
        let pcm = Pcm {
            api,
            handle,
            device: device.into(),
        };
        // Blocking writes from now on: the player thread waits for the device, the UI never.
        // SAFETY: `handle` is an open PCM (for both calls).
        pcm.check("snd_pcm_nonblock", unsafe { (api.nonblock)(pcm.raw(), 0) })?;
        pcm.check("snd_pcm_set_params", unsafe {
            (api.set_params)(
                pcm.raw(),
                FORMAT_S16,
                ACCESS_RW_INTERLEAVED,
                1,
                rate,
                SOFT_RESAMPLE,
                LATENCY_US,
            )
        })?;
        Ok(pcm)
    }

    /// Plays `samples` to the end; returns when they have been heard.
    pub fn play(&mut self, samples: &[i16]) -> Result<(), AlsaError> {
        let mut rest = samples;
        while !rest.is_empty() {
            // SAFETY: `rest` holds `rest.len()` frames of one S16 channel, the format set in
            // `open`; ALSA only reads them during the call.
            let written = unsafe {
                (self.api.writei)(self.raw(), rest.as_ptr().cast(), rest.len() as c_ulong)
            };
            match usize::try_from(written) {
                Ok(frames) => rest = &rest[frames.min(rest.len())..],
                // An underrun since the last cue (or a suspend): recover quietly, write again.
                // SAFETY: `handle` is an open PCM; `written` is the error it just returned.
                Err(_) => self.check("snd_pcm_recover", unsafe {
                    (self.api.recover)(self.raw(), written as c_int, 1)
                })?,
            }
        }
        // SAFETY: `handle` is an open PCM.
        self.check("snd_pcm_drain", unsafe { (self.api.drain)(self.raw()) })?;
        // Drained, the PCM is stopped; prepared, it takes the next cue without reopening.
        // SAFETY: `handle` is an open PCM.
        self.check("snd_pcm_prepare", unsafe { (self.api.prepare)(self.raw()) })
    }

    fn raw(&self) -> Handle {
        self.handle.as_ptr()
    }

    fn check(&self, call: &'static str, rc: c_int) -> Result<(), AlsaError> {
        if rc >= 0 {
            return Ok(());
        }
        Err(AlsaError::Call {
            call,
            device: self.device.clone(),
            reason: describe(self.api, rc),
        })
    }
}

impl Drop for Pcm {
    fn drop(&mut self) {
        // SAFETY: `handle` came from a successful snd_pcm_open and is closed only here.
        unsafe { (self.api.close)(self.raw()) };
    }
}

fn describe(api: Api, rc: c_int) -> String {
    // SAFETY: snd_strerror returns a NUL-terminated string that stays valid (static, or
    // libc's strerror buffer, copied before this thread calls into ALSA again).
    let text = unsafe { (api.strerror)(rc) };
    if text.is_null() {
        return format!("error {rc}");
    }
    // SAFETY: non-null and NUL-terminated, see above.
    unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_is_an_error_naming_it() {
        let err = Pcm::open("libbackroom-no-such-alsa.so.2", "default", 48_000)
            .err()
            .expect("a library that does not exist cannot open a device");
        assert!(matches!(err, AlsaError::Load { .. }), "{err}");
        assert!(
            err.to_string().contains("libbackroom-no-such-alsa.so.2"),
            "{err}"
        );
    }

    #[test]
    fn a_library_that_is_not_alsa_is_refused() {
        // Every Linux system we run on has a C library; it has no snd_pcm_open.
        let err = Pcm::open("libc.so.6", "default", 48_000)
            .err()
            .expect("libc is not ALSA");
        assert!(
            matches!(
                err,
                AlsaError::Symbol {
                    symbol: "snd_pcm_open",
                    ..
                }
            ),
            "{err}"
        );
    }
}
