// Image and gzip codecs for Transferscope's data readers.
//
// libpng and libjpeg report errors by calling an error handler that, by default, prints and
// exits the process; here every error longjmps back to the caller and comes back as a non-zero
// return code with the library's message, so a corrupt file is an error, never a crash.
#ifndef TRANSFERSCOPE_IMAGE_CODECS_H
#define TRANSFERSCOPE_IMAGE_CODECS_H

#include <stddef.h>

#define TSC_MESSAGE_SIZE 256

/// A decoded image: 8-bit RGBA rows, top to bottom (pixels owned by the caller: tsc_free).
typedef struct {
    unsigned char *pixels;
    int width;
    int height;
    /// Channels of the file itself: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    int source_channels;
    char message[TSC_MESSAGE_SIZE];
} tsc_image;

/// Decodes a PNG held in memory to RGBA. Returns 0, or non-zero with `out->message` set.
int tsc_decode_png(const unsigned char *data, size_t size, tsc_image *out);

/// Decodes a JPEG held in memory to RGBA. Returns 0, or non-zero with `out->message` set.
int tsc_decode_jpeg(const unsigned char *data, size_t size, tsc_image *out);

/// Encodes 8-bit pixels (1 gray, 3 RGB or 4 RGBA channels) as a PNG in memory.
/// On success `*out` (free with tsc_free) holds `*out_size` bytes.
int tsc_encode_png(const unsigned char *pixels, int width, int height, int channels,
                   unsigned char **out, size_t *out_size, char message[TSC_MESSAGE_SIZE]);

/// Inflates gzip or zlib data (several gzip members are concatenated, as gunzip does); fails
/// rather than produce more than `limit` bytes.
int tsc_gunzip(const unsigned char *data, size_t size, size_t limit, unsigned char **out, size_t *out_size,
               char message[TSC_MESSAGE_SIZE]);

/// Frees memory returned by the functions above.
void tsc_free(void *pointer);

#endif
