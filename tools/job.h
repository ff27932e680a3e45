/*
 * What the CLI's parts share about one run: the job (options, input, library
 * context, outputs, counters) and the few helpers both use. backdrop.c sets a
 * job up (options, checks, the library) and batch.c runs it; live.c adds
 * what the live loop (a camera in, newest frame first) does differently.
 */
#ifndef BACKDROP_TOOLS_JOB_H
#define BACKDROP_TOOLS_JOB_H

#include <signal.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "backdrop/backdrop.h"
#include "background.h"
#include "input/input.h"
#include "input/reader.h"
#include "matte_in.h"
#include "message.h"
#include "options.h"
#include "output/output.h"
#include "paths.h"
#include "view.h"
#include "capture.h"
#include "control.h"
#include "pacer.h"
#include "preview.h"

#define ERRLEN MESSAGE_MAX

/* Distinct option names the live commands may set (then refused). */
#define LIVE_OPTIONS_MAX 32
typedef struct LiveDemand LiveDemand; /* live_demand.c */

/* An option a live command set, kept for a new method's context. */
typedef struct LiveOption {
    char *name, *value;
} LiveOption;

typedef enum Stage { STAGE_DECODE, STAGE_PROCESS, STAGE_ENCODE, STAGE_COUNT } Stage;


typedef struct Job {
    CliOptions opt;
    Input *input;
    Reader *reader;
    BackdropContext *ctx;
    Output *output, *matte_output;
    MatteIn *matte_in;     /* --matte-in (method external), or NULL */
    int width, height, format; /* of the frames, fixed by the first */
    AVPacket **queued_audio;
    int queued_count;
    int64_t frames_in, frames_out;
    double stage_seconds[STAGE_COUNT];
    double start, last_progress;
    int progress_shown;
    int show_progress;     /* stderr is a terminal and not --quiet */
    int64_t total_frames;  /* estimate for the progress line, 0 if unknown */
    const char *method;    /* resolved method name (the library's string) */
    const char *start_method; /* the method the run began with: --model is its */
    double rotation;       /* the input's display rotation, read at the start */
    char model_path[4096]; /* selfie: the model file used; rvm: its graph (model.json) */
    char weights_path[4096]; /* rvm: its weights (rvm.bin) */
    int reported;          /* the library already explained the failure */
    FileIdSet input_files; /* what the input reads: no output may replace these */
    char *stats_tmp;       /* --stats written here, renamed at the commit */
    char *stats_final;
    int library_threads;   /* the library's threads (settings.threads) */
    BackgroundKind background_kind;
    const char *blur_strength;     /* -b blur:STRENGTH: the STRENGTH, else NULL */
    BackgroundVideo *background_video; /* -b names a video: its frames, decoded ahead */
    int64_t first_pts;             /* of the input's first frame, for the background's time */
    View *view;            /* --view side-by-side, or NULL */
    /* The live loop (--realtime): the newest-frame capture instead of the
     * reader, and what --stats adds for it. */
    int live;
    Capture *capture;
    uint32_t *latency_bins;  /* capture-to-output latency, LATENCY_BIN_MS wide */
    int64_t latency_count;
    int64_t frames_dropped;  /* by the capture thread (counted when it stops) */
    double cpu_start;        /* process CPU seconds at the start */
    int delay_ms;            /* BACKDROP_TEST_PROCESS_DELAY_MS: slow processing, for the tests */
    Control *control;        /* --control, or NULL */
    Pacer *pacer;            /* a virtual camera's steady rate (pacer.h), or NULL */
    int paced_output;        /* the pacer ran: --stats says what it repeated */
    int64_t frames_repeated; /* by the pacer (counted when it stops) */
    double max_gap;          /* seconds: the longest gap between two frames on the output */
    double frame_period;     /* seconds: the pacer's, while processing */
    int paused;              /* control "pause": frames pass through unchanged */
    int quit;                /* control "quit": end the run after this frame */
    int quiet_library;       /* applying a control command: the library's errors are the answer's */
    char *live_background;   /* the background a command set last (its -b words), or NULL: -b's */
    /* The options commands set (name, value), replayed on a new method's
     * context; one entry per name, the latest value. */
    LiveOption *live_options;
    int live_option_count;
    int transparent;       /* -b transparent: -o gets the alpha variant of the frames' format */
    /* --preview: the window, and the frame last written to -o (the
     * encoder's picture or the passed-through input: valid until the next
     * frame is made), which it shows. */
    Preview *preview;
    const AVFrame *written;
    LiveDemand *demand;    /* --on-demand: the viewers' watch and the idle state, or NULL */
} Job;

/* The signal that asked the run to stop (SIGINT, SIGTERM or SIGHUP), or 0. */
extern volatile sig_atomic_t interrupted;
/* Sets interrupted when sig arrives, once: SA_RESETHAND lets a second
 * signal end the process at once (a stalled pipe); the live loop catches
 * SIGHUP again after each reload. */
void catch_signal(int sig);
/* "interrupted", "terminated (SIGTERM)", ... */
const char *stop_reason(int sig);

double now_seconds(void);
void say_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* While buf is set (NULL: stderr again), say_error() and the library's
 * error messages write the first message into buf instead of stderr. */
void say_capture(char *buf, size_t len);
/* An AVFrame's pixels described to the library, without a copy. */
BackdropFrame wrap_frame(const AVFrame *f);
int to_backdrop_format(int av_format);

/* backdrop.c: opens the library for the job's method and options (after the
 * input, whose rotation it needs) and sets the background. */
int job_open_library(Job *job);
/* backdrop.c: while running, another method: a new context for it with
 * the command line's options that it has, the background as it stands and
 * the options commands set (live_replay_options); the old context goes
 * when the new one is ready, and stays if it fails. 0, or -1 with the
 * reason in err. */
int job_switch_method(Job *job, const char *name, char *err, size_t errlen);

/* backdrop.c: before the input frame is processed, the video background's
 * frame for its time (see background.h), given to the library when it
 * changed; nothing without a video background. 0, or -1 after saying why. */
int job_update_background(Job *job, const AVFrame *frame);

/* batch.c: the throughput loop, file in, files out: every frame decoded
 * (ahead, on the reader thread), processed, encoded; 0, or -1 after saying
 * why. Then batch_cleanup (success: the outputs were committed). */
int batch_run(Job *job);
void batch_cleanup(Job *job, int success);
/* batch.c, for live.c: opens the outputs for the first frame; processes a
 * frame into the outputs (0, or -1 after saying why). */
int batch_open_outputs(Job *job, const AVFrame *first);
int batch_video(Job *job, AVFrame *frame);
/* A frame to -o: through the pacer when there is one. */
int batch_write(Job *job, const AVFrame *frame, char *err, size_t errlen);
/* batch.c: opens job->input from the options (at the start, and again when
 * --on-demand resumes). 0, or -1 after saying why. */
int batch_open_input(Job *job);

/* live.c: the live loop's parts, called by batch_run() when job->live.
 *   live_start           the capture thread, the control socket, the
 *                        latency record
 *   live_between_frames  SIGHUP's reload and the control commands
 *   live_frame           the frame processed (or passed through, paused),
 *                        its latency recorded
 *   live_stop            at the end: the pacer's and the capture's
 *                        counters kept, their threads stopped
 *   live_stats           the keys --stats adds, as ", \"key\": value..."
 *   live_cleanup         everything freed (any time after live_start)
 * The int functions return 0, or -1 after saying why. */
int live_start(Job *job);
int live_between_frames(Job *job);
/* live_between_frames without --on-demand's check: SIGHUP and the control
 * commands (the idle loop runs it too). */
int live_commands(Job *job);
/* The capture thread on job->input (at the start, and when --on-demand
 * resumes). */
int live_capture_start(Job *job);
/* The capture's counters kept, its thread stopped (at the end, and when
 * --on-demand goes idle). */
void live_capture_stop(Job *job);
int live_frame(Job *job, AVFrame *frame, double captured);
void live_stop(Job *job);
int live_stats(const Job *job, char *text, size_t len);
void live_cleanup(Job *job);
/* A new background while running, from the words -b takes (a colour,
 * blur[:S], transparent if the run began so, a picture file): 0, or -1
 * with the reason in err. */
int live_set_background(Job *job, const char *spec, char *err, size_t errlen);
/* Applies one command (from the control socket, or a key of the preview)
 * through the library's runtime options, and writes its answer: "ok",
 * the stats' JSON, or "error: REASON". 0, or -1 when it was refused. */
int live_apply(Job *job, const ControlCommand *cmd, char *answer, size_t answer_len);
/* The options commands set, applied again to a new context; those the new
 * method does not have are passed over. */
void live_replay_options(Job *job);

/* live_demand.c, --on-demand: between frames, once the output is open,
 * whether anybody watches the virtual camera; when nobody does, the input
 * is closed and the run idles there until a viewer comes (input opened and
 * capture started again, return 0) or the run is to end (interrupted or
 * quit set, return 0); -1 after saying why. */
int live_demand_check(Job *job);
void live_demand_cleanup(Job *job);
/* The path --on-demand watches: the virtual camera of -o, or the file of
 * BACKDROP_TEST_DEMAND_PATH (the tests' stand-in); NULL when neither. */
const char *live_demand_path(const Job *job);

#endif
