#include "image_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

/// Largest side accepted, to refuse absurd headers before allocating.
#define TSC_MAX_SIDE 20000

void tsc_free(void *pointer) { free(pointer); }

static void copy_message(char *destination, const char *text) {
    snprintf(destination, TSC_MESSAGE_SIZE, "%s", text ? text : "unknown error");
}

// MARK: PNG

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
} png_memory_reader;

typedef struct {
    jmp_buf jump;
    char *message;
} png_error_context;

static void png_error_to_jump(png_structp png, png_const_charp text) {
    png_error_context *context = (png_error_context *)png_get_error_ptr(png);
    copy_message(context->message, text);
    longjmp(context->jump, 1);
}

static void png_warning_ignored(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void png_read_from_memory(png_structp png, png_bytep destination, png_size_t length) {
    png_memory_reader *reader = (png_memory_reader *)png_get_io_ptr(png);
    if (reader->offset + length > reader->size) {
        png_error(png, "file ends early (truncated)");
    }
    memcpy(destination, reader->data + reader->offset, length);
    reader->offset += length;
}

int tsc_decode_png(const unsigned char *data, size_t size, tsc_image *out) {
    memset(out, 0, sizeof(*out));
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        copy_message(out->message, "not a PNG file (bad signature)");
        return 1;
    }
    png_error_context context;
    context.message = out->message;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, png_error_to_jump, png_warning_ignored);
    if (!png) {
        copy_message(out->message, "libpng could not start");
        return 1;
    }
    png_infop info = png_create_info_struct(png);
    // Volatile: assigned after setjmp and read after a longjmp.
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(context.jump)) {
        if (!info) copy_message(out->message, "libpng could not start");
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        free(pixels);
        free(rows);
        return 1;
    }
    png_memory_reader reader = {data, size, 0};
    png_set_read_fn(png, &reader, png_read_from_memory);
    png_set_user_limits(png, TSC_MAX_SIDE, TSC_MAX_SIDE);
    png_read_info(png, info);
    int color_type = png_get_color_type(png, info);
    int width = (int)png_get_image_width(png, info);
    int height = (int)png_get_image_height(png, info);
    int has_transparency = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: out->source_channels = has_transparency ? 2 : 1; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: out->source_channels = 2; break;
    case PNG_COLOR_TYPE_PALETTE: out->source_channels = has_transparency ? 4 : 3; break;
    case PNG_COLOR_TYPE_RGB: out->source_channels = has_transparency ? 4 : 3; break;
    default: out->source_channels = 4; break;
    }
    // Normalize every variant to 8-bit RGBA.
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    png_set_filler(png, 0xff, PNG_FILLER_AFTER);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * 4) {
        png_error(png, "unexpected row layout after conversion");
    }
    pixels = (unsigned char *)malloc((size_t)width * height * 4);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
    if (!pixels || !rows) png_error(png, "out of memory");
    for (int y = 0; y < height; y++) rows[y] = pixels + (size_t)y * width * 4;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    out->pixels = pixels;
    out->width = width;
    out->height = height;
    return 0;
}

typedef struct {
    unsigned char *data;
    size_t size;
    size_t capacity;
    int failed;
} png_memory_writer;

static void png_write_to_memory(png_structp png, png_bytep source, png_size_t length) {
    png_memory_writer *writer = (png_memory_writer *)png_get_io_ptr(png);
    if (writer->size + length > writer->capacity) {
        size_t capacity = writer->capacity ? writer->capacity * 2 : 65536;
        while (capacity < writer->size + length) capacity *= 2;
        unsigned char *grown = (unsigned char *)realloc(writer->data, capacity);
        if (!grown) png_error(png, "out of memory");
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->size, source, length);
    writer->size += length;
}

static void png_flush_nothing(png_structp png) { (void)png; }

int tsc_encode_png(const unsigned char *pixels, int width, int height, int channels,
                   unsigned char **out, size_t *out_size, char message[TSC_MESSAGE_SIZE]) {
    *out = NULL;
    *out_size = 0;
    int color_type;
    switch (channels) {
    case 1: color_type = PNG_COLOR_TYPE_GRAY; break;
    case 3: color_type = PNG_COLOR_TYPE_RGB; break;
    case 4: color_type = PNG_COLOR_TYPE_RGBA; break;
    default: copy_message(message, "PNG encoding needs 1, 3 or 4 channels"); return 1;
    }
    png_error_context context;
    context.message = message;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &context, png_error_to_jump, png_warning_ignored);
    if (!png) {
        copy_message(message, "libpng could not start");
        return 1;
    }
    png_infop info = png_create_info_struct(png);
    png_memory_writer writer = {NULL, 0, 0, 0};
    if (!info || setjmp(context.jump)) {
        if (!info) copy_message(message, "libpng could not start");
        png_destroy_write_struct(&png, info ? &info : NULL);
        free(writer.data);
        return 1;
    }
    png_set_write_fn(png, &writer, png_write_to_memory, png_flush_nothing);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(pixels + (size_t)y * width * channels));
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out = writer.data;
    *out_size = writer.size;
    return 0;
}

// MARK: JPEG

typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char *message;
} jpeg_error_context;

static void jpeg_error_to_jump(j_common_ptr info) {
    jpeg_error_context *context = (jpeg_error_context *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    copy_message(context->message, text);
    longjmp(context->jump, 1);
}

static void jpeg_message_ignored(j_common_ptr info) { (void)info; }

int tsc_decode_jpeg(const unsigned char *data, size_t size, tsc_image *out) {
    memset(out, 0, sizeof(*out));
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8) {
        copy_message(out->message, "not a JPEG file (bad signature)");
        return 1;
    }
    struct jpeg_decompress_struct info;
    jpeg_error_context context;
    context.message = out->message;
    info.err = jpeg_std_error(&context.manager);
    context.manager.error_exit = jpeg_error_to_jump;
    context.manager.output_message = jpeg_message_ignored;
    unsigned char *volatile pixels = NULL;
    unsigned char *volatile row = NULL;
    if (setjmp(context.jump)) {
        jpeg_destroy_decompress(&info);
        free(pixels);
        free(row);
        return 1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    if (info.image_width > TSC_MAX_SIDE || info.image_height > TSC_MAX_SIDE) {
        copy_message(out->message, "image is larger than 20000 pixels on a side");
        jpeg_destroy_decompress(&info);
        return 1;
    }
    int gray = info.jpeg_color_space == JCS_GRAYSCALE;
    info.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    int width = (int)info.output_width;
    int height = (int)info.output_height;
    int components = info.output_components;
    pixels = (unsigned char *)malloc((size_t)width * height * 4);
    row = (unsigned char *)malloc((size_t)width * components);
    if (!pixels || !row) {
        copy_message(out->message, "out of memory");
        jpeg_destroy_decompress(&info);
        free(pixels);
        free(row);
        return 1;
    }
    while (info.output_scanline < info.output_height) {
        int y = (int)info.output_scanline;
        JSAMPROW rows[1] = {row};
        jpeg_read_scanlines(&info, rows, 1);
        unsigned char *target = pixels + (size_t)y * width * 4;
        for (int x = 0; x < width; x++) {
            unsigned char r = row[x * components];
            unsigned char g = components == 3 ? row[x * 3 + 1] : r;
            unsigned char b = components == 3 ? row[x * 3 + 2] : r;
            target[4 * x] = r;
            target[4 * x + 1] = g;
            target[4 * x + 2] = b;
            target[4 * x + 3] = 0xff;
        }
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    free(row);
    out->pixels = pixels;
    out->width = width;
    out->height = height;
    out->source_channels = gray ? 1 : 3;
    return 0;
}

// MARK: gzip

int tsc_gunzip(const unsigned char *data, size_t size, size_t limit, unsigned char **out, size_t *out_size,
               char message[TSC_MESSAGE_SIZE]) {
    *out = NULL;
    *out_size = 0;
    size_t capacity = size * 4 + 1024;
    if (capacity > limit) capacity = limit + 1;
    unsigned char *buffer = (unsigned char *)malloc(capacity);
    if (!buffer) {
        copy_message(message, "out of memory");
        return 1;
    }
    size_t produced = 0;
    size_t consumed = 0;
    while (consumed < size) {
        z_stream stream;
        memset(&stream, 0, sizeof(stream));
        // 15 + 32: accept gzip and zlib headers.
        if (inflateInit2(&stream, 15 + 32) != Z_OK) {
            copy_message(message, "zlib could not start");
            free(buffer);
            return 1;
        }
        stream.next_in = (Bytef *)(data + consumed);
        stream.avail_in = (uInt)((size - consumed) > 0x7fffffff ? 0x7fffffff : (size - consumed));
        int status;
        do {
            if (produced == capacity) {
                if (produced > limit) {
                    inflateEnd(&stream);
                    free(buffer);
                    copy_message(message, "it inflates to more than the size limit (a damaged or hostile file?)");
                    return 1;
                }
                capacity = capacity > limit / 2 ? limit + 1 : capacity * 2;
                unsigned char *grown = (unsigned char *)realloc(buffer, capacity);
                if (!grown) {
                    inflateEnd(&stream);
                    free(buffer);
                    copy_message(message, "out of memory");
                    return 1;
                }
                buffer = grown;
            }
            stream.next_out = buffer + produced;
            size_t room = capacity - produced;
            stream.avail_out = (uInt)(room > 0x7fffffff ? 0x7fffffff : room);
            uInt before = stream.avail_out;
            status = inflate(&stream, Z_NO_FLUSH);
            produced += before - stream.avail_out;
            if (status == Z_NEED_DICT || status == Z_DATA_ERROR || status == Z_MEM_ERROR) {
                copy_message(message, stream.msg ? stream.msg : "corrupt compressed data");
                inflateEnd(&stream);
                free(buffer);
                return 1;
            }
            if (status == Z_BUF_ERROR && stream.avail_in == 0) {
                copy_message(message, "compressed data ends early (truncated)");
                inflateEnd(&stream);
                free(buffer);
                return 1;
            }
        } while (status != Z_STREAM_END);
        consumed += stream.total_in;
        inflateEnd(&stream);
        // Trailing zero padding after the last member is allowed, as gunzip does.
        size_t rest = consumed;
        while (rest < size && data[rest] == 0) rest++;
        if (rest == size) break;
    }
    *out = buffer;
    *out_size = produced;
    return 0;
}
