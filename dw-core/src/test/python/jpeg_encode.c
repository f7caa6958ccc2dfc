/* Writes JPEGs that Pillow cannot: YCCK (Adobe transform 2), RGB with Adobe transform 0, and YCbCr 4:4:0.
 * Built and run by make_image_fixtures.py:  jpeg_encode IN.raw WIDTH HEIGHT IN_CS JPEG_CS H0 V0 QUALITY OUT.jpg
 * IN_CS: rgb | cmyk (interleaved 8-bit samples); JPEG_CS: ycbcr | rgb | cmyk | ycck; H0 V0: luma sampling factors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

static J_COLOR_SPACE space(const char *s) {
    if (!strcmp(s, "rgb")) return JCS_RGB;
    if (!strcmp(s, "cmyk")) return JCS_CMYK;
    if (!strcmp(s, "ycbcr")) return JCS_YCbCr;
    if (!strcmp(s, "ycck")) return JCS_YCCK;
    fprintf(stderr, "unknown colour space %s\n", s);
    exit(2);
}

int main(int argc, char **argv) {
    if (argc != 10) {
        fprintf(stderr, "usage: %s IN.raw W H IN_CS JPEG_CS H0 V0 QUALITY OUT.jpg\n", argv[0]);
        return 2;
    }
    int w = atoi(argv[2]), h = atoi(argv[3]);
    J_COLOR_SPACE in = space(argv[4]);
    int comps = in == JCS_CMYK ? 4 : 3;
    unsigned char *px = malloc((size_t) w * h * comps);
    FILE *f = fopen(argv[1], "rb");
    if (!f || fread(px, 1, (size_t) w * h * comps, f) != (size_t) w * h * comps) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    FILE *out = fopen(argv[9], "wb");
    jpeg_stdio_dest(&c, out);
    c.image_width = w;
    c.image_height = h;
    c.input_components = comps;
    c.in_color_space = in;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, space(argv[5]));
    c.comp_info[0].h_samp_factor = atoi(argv[6]);
    c.comp_info[0].v_samp_factor = atoi(argv[7]);
    jpeg_set_quality(&c, atoi(argv[8]), TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = px + (size_t) c.next_scanline * w * comps;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    fclose(out);
    jpeg_destroy_compress(&c);
    free(px);
    return 0;
}
