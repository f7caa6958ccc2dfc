// JPEG decoding with libjpeg-turbo's libjpeg API, the calls OpenCV 4.6's imdecode(..., IMREAD_COLOR) makes
// (modules/imgcodecs/src/grfmt_jpeg.cpp): the library's defaults (islow IDCT, fancy upsampling, block smoothing),
// 3-channel output for 1- and 3-component images, CMYK output for 4-component ones (libjpeg turns YCCK into CMYK)
// followed by OpenCV's icvCvt_CMYK2BGR. Compiled by JavaCPP into the JNI library that
// dev.dwjava.core.image.NativeJpeg loads; the EXIF orientation is applied in Java.
#pragma once

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>
#include <jerror.h>

namespace dw_jpeg {

struct Errors {
    jpeg_error_mgr mgr;
    jmp_buf jump;
    char* message;          // the fatal error, or what says that data is missing
    int capacity;
    bool scanning;          // jpeg_read_scanlines has been called
    bool eof;               // JWRN_JPEG_EOF: the source ran out (it inserted an EOI marker)
    bool eofEarly;          // ... before the first scanline: scans of a multi-scan image are missing
    bool missingBits;       // JWRN_HIT_MARKER: the entropy decoder needed bits past the end or a marker
};

inline void put(j_common_ptr c, char* to, int capacity) {
    char text[JMSG_LENGTH_MAX];
    c->err->format_message(c, text);
    std::snprintf(to, capacity, "%s", text);
}

inline void on_error(j_common_ptr c) {
    Errors* e = reinterpret_cast<Errors*>(c->err);
    put(c, e->message, e->capacity);
    std::longjmp(e->jump, 1);
}

// Warnings do not stop decoding (as in OpenCV); missing data does (OpenCV invents the rest of the image). The memory
// source warns JWRN_JPEG_EOF ("Premature end of JPEG file") as soon as the Huffman decoder reads ahead past the last
// byte, which also happens on a complete single-scan file without its EOI marker; data is missing when the decoder
// then needed bits it did not have (JWRN_HIT_MARKER) or when the source ran out before the scans were all read
// (multi-scan images read them in jpeg_start_decompress).
inline void on_message(j_common_ptr c, int level) {
    Errors* e = reinterpret_cast<Errors*>(c->err);
    if (level < 0) {
        int code = c->err->msg_code;
        bool first = !e->eof && !e->missingBits;
        if (code == JWRN_JPEG_EOF) {
            e->eof = true;
            e->eofEarly = e->eofEarly || !e->scanning;
        } else if (code == JWRN_HIT_MARKER) {
            e->missingBits = true;
        }
        if (first && (e->eof || e->missingBits)) {
            put(c, e->message, e->capacity);
        }
        c->err->num_warnings++;
    }
}

inline bool truncated(const Errors& e) {
    return e.missingBits || e.eofEarly;
}

inline void silent(j_common_ptr) {}

}  // namespace dw_jpeg

// Decodes size bytes of a JPEG into out (rows top to bottom, R, G, B interleaved) when its frame is width x height;
// capacity must be width * height * 3. Returns 0 on success, 1 when the data ended early (out is then unspecified),
// 2 when the frame is not width x height or has another number of components than expected, -1 on a libjpeg error;
// the reason is in error (NUL-terminated) unless 0.
inline int dw_jpeg_decode(const unsigned char* data, long size, unsigned char* out, long capacity, int width,
                          int height, int components, char* error, int errorCapacity) {
    jpeg_decompress_struct cinfo;
    dw_jpeg::Errors errors;
    std::memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&errors.mgr);
    errors.mgr.error_exit = dw_jpeg::on_error;
    errors.mgr.emit_message = dw_jpeg::on_message;
    errors.mgr.output_message = dw_jpeg::silent;
    errors.message = error;
    errors.capacity = errorCapacity;
    errors.scanning = false;
    errors.eof = false;
    errors.eofEarly = false;
    errors.missingBits = false;
    error[0] = 0;
    if (setjmp(errors.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
    jpeg_read_header(&cinfo, TRUE);
    if (static_cast<int>(cinfo.image_width) != width || static_cast<int>(cinfo.image_height) != height
            || cinfo.num_components != components || capacity != 3L * width * height) {
        std::snprintf(error, errorCapacity, "libjpeg reads a %ux%u frame of %d components, expected %dx%d of %d",
                      cinfo.image_width, cinfo.image_height, cinfo.num_components, width, height, components);
        jpeg_destroy_decompress(&cinfo);
        return 2;
    }
    bool cmyk = cinfo.num_components == 4;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGB;
    jpeg_start_decompress(&cinfo);
    // The CMYK row lives in libjpeg's pool (freed by jpeg_destroy_decompress), so a longjmp leaks nothing.
    JSAMPARRAY cmykRow = cmyk ? (*cinfo.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&cinfo), JPOOL_IMAGE,
                                                           4 * static_cast<JDIMENSION>(width), 1) : nullptr;
    errors.scanning = true;
    while (cinfo.output_scanline < cinfo.output_height && !dw_jpeg::truncated(errors)) {
        unsigned char* dst = out + 3L * width * cinfo.output_scanline;
        JSAMPROW rows[1] = {cmyk ? cmykRow[0] : dst};
        if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) {
            break;
        }
        if (cmyk) {                          // OpenCV's icvCvt_CMYK2BGR on the stored (Adobe-inverted) values
            const unsigned char* s = cmykRow[0];
            for (int x = 0; x < width; x++, s += 4, dst += 3) {
                int k = s[3];
                dst[0] = static_cast<unsigned char>(k - ((255 - s[0]) * k >> 8));
                dst[1] = static_cast<unsigned char>(k - ((255 - s[1]) * k >> 8));
                dst[2] = static_cast<unsigned char>(k - ((255 - s[2]) * k >> 8));
            }
        }
    }
    if (dw_jpeg::truncated(errors) || cinfo.output_scanline < cinfo.output_height) {
        if (!dw_jpeg::truncated(errors)) {
            std::snprintf(error, errorCapacity, "libjpeg returned %u of %u rows", cinfo.output_scanline,
                          cinfo.output_height);
        }
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    // Every row is there: a file ending after its last scan without the EOI marker is not an error.
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

// The libjpeg-turbo version the library was built against, e.g. 2001005 for 2.1.5 (0 if not libjpeg-turbo).
inline int dw_jpeg_version() {
#ifdef LIBJPEG_TURBO_VERSION_NUMBER
    return LIBJPEG_TURBO_VERSION_NUMBER;
#else
    return 0;
#endif
}
