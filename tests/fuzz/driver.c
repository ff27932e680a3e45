/*
 * A standalone fuzzing driver for compilers without libFuzzer (gcc): it
 * replays every corpus file given, then mutates them at random (bit flips,
 * byte changes, insertions, deletions, splices of two inputs) for a fixed
 * time, calling LLVMFuzzerTestOneInput on each. Built with the sanitizers, a
 * crash or a sanitizer report ends the process with a non-zero status; the
 * input that caused it is written to crash-<pid>.bin first.
 *
 *   driver SECONDS SEED FILE...
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest input read from the corpus or made by mutation. A target may
 * raise it at build time (fuzz_tflite: its seed models are ~250 KB). */
#ifndef FUZZ_MAX_INPUT
#define FUZZ_MAX_INPUT 65536
#endif
#define MAX_INPUT FUZZ_MAX_INPUT

typedef struct Blob {
    uint8_t *data;
    size_t size;
} Blob;

static uint64_t rng_state;

static uint64_t next_random(void)
{
    /* xorshift64*: plenty for picking mutations, and reproducible by seed. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static uint8_t current[MAX_INPUT];
static size_t current_size;

static void save_current(int sig)
{
    char name[64];
    snprintf(name, sizeof(name), "crash-%d.bin", (int)getpid());
    FILE *f = fopen(name, "wb");
    if (f) {
        fwrite(current, 1, current_size, f);
        fclose(f);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int read_file(const char *path, Blob *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    b->data = malloc(MAX_INPUT);
    b->size = b->data ? fread(b->data, 1, MAX_INPUT, f) : 0;
    fclose(f);
    return b->data ? 0 : -1;
}

static void mutate(const Blob *corpus, int count)
{
    const Blob *base = &corpus[next_random() % (uint64_t)count];
    memcpy(current, base->data, base->size);
    current_size = base->size;
    int rounds = 1 + (int)(next_random() % 8);
    for (int r = 0; r < rounds; r++) {
        size_t pos = current_size ? next_random() % current_size : 0;
        switch (next_random() % 6) {
        case 0: /* flip a bit */
            if (current_size)
                current[pos] ^= (uint8_t)(1u << (next_random() % 8));
            break;
        case 1: /* set a byte, biased to interesting values */
            if (current_size) {
                static const uint8_t special[] = { 0, 0xff, 0x7f, 0x80, '-', '=', '#', '%', '0', '9' };
                current[pos] = next_random() % 2 ? special[next_random() % sizeof(special)]
                                                 : (uint8_t)next_random();
            }
            break;
        case 2: /* insert a byte */
            if (current_size < MAX_INPUT) {
                memmove(current + pos + 1, current + pos, current_size - pos);
                current[pos] = (uint8_t)next_random();
                current_size++;
            }
            break;
        case 3: /* delete a run */
            if (current_size) {
                size_t n = 1 + next_random() % 16;
                if (n > current_size - pos)
                    n = current_size - pos;
                memmove(current + pos, current + pos + n, current_size - pos - n);
                current_size -= n;
            }
            break;
        case 4: { /* splice in a slice of another input */
            const Blob *other = &corpus[next_random() % (uint64_t)count];
            if (!other->size)
                break;
            size_t from = next_random() % other->size, n = 1 + next_random() % (other->size - from);
            if (current_size + n > MAX_INPUT)
                n = MAX_INPUT - current_size;
            memmove(current + pos + n, current + pos, current_size - pos);
            memcpy(current + pos, other->data + from, n);
            current_size += n;
            break;
        }
        default: /* truncate */
            current_size = pos;
            break;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s SECONDS SEED CORPUS_FILE...\n", argv[0]);
        return 2;
    }
    double seconds = atof(argv[1]);
    rng_state = strtoull(argv[2], NULL, 10) | 1;
    int count = argc - 3;
    Blob *corpus = calloc((size_t)count, sizeof(Blob));
    if (!corpus)
        return 2;
    for (int i = 0; i < count; i++) {
        if (read_file(argv[3 + i], &corpus[i]) < 0) {
            fprintf(stderr, "%s: cannot read corpus file %s\n", argv[0], argv[3 + i]);
            return 2;
        }
    }
    signal(SIGSEGV, save_current);
    signal(SIGABRT, save_current);

    for (int i = 0; i < count; i++) {
        memcpy(current, corpus[i].data, corpus[i].size);
        current_size = corpus[i].size;
        LLVMFuzzerTestOneInput(current, current_size);
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long long runs = 0;
    do {
        for (int k = 0; k < 256; k++, runs++) {
            mutate(corpus, count);
            LLVMFuzzerTestOneInput(current, current_size);
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) * 1e-9 < seconds);
    printf("%s: %d corpus inputs, %lld mutated runs in %.0f s, no crash\n", argv[0], count, runs, seconds);
    for (int i = 0; i < count; i++)
        free(corpus[i].data);
    free(corpus);
    return 0;
}
