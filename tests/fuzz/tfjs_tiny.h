/*
 * A tiny TF.js graph model for the reader's unit tests and the fuzz seeds:
 * every attribute kind, the three quantisations (uint8, uint16, float16),
 * raw float32, int32 and bool weights, two shard files with a weight
 * straddling them, "name:k" and "^name" inputs and a signature.
 *
 * Weight bytes, in manifest order (26 bytes):
 *   w  float32 [2,2] uint8   min -1, scale 0.5   q = 0 1 2 255
 *   h  float32 [3]   float16                     0x3c00 0xc000 0x0001
 *   k  float32 [1]   uint16  min 0.25, scale 0.001  q = 12345
 *   s  int32   [2]                               1, -3
 *   r  float32 []                                2.5f (0x40200000)
 *   t  bool    [2]                               0, 7 (read as 0, 1)
 * split into files of 5 and 21 bytes (h starts in the first).
 */
#ifndef TFJS_TINY_H
#define TFJS_TINY_H

#include <stddef.h>
#include <stdint.h>

static const char tfjs_tiny_json[] =
    "{\"format\": \"graph-model\", \"generatedBy\": \"hand\", \"convertedBy\": null,\n"
    " \"signature\": {\"inputs\": {\"x\": {\"name\": \"x:0\", \"dtype\": \"DT_FLOAT\"}},\n"
    "                \"outputs\": {\"y\": {\"name\": \"o:0\"}, \"z\": {\"name\": \"sp:1\"}}},\n"
    " \"modelTopology\": {\"node\": [\n"
    "  {\"name\": \"x\", \"op\": \"Placeholder\", \"attr\": {\"dtype\": {\"type\": \"DT_FLOAT\"},\n"
    "     \"shape\": {\"shape\": {\"dim\": [{\"size\": \"-1\"}, {\"size\": \"2\"}]}}}},\n"
    "  {\"name\": \"w\", \"op\": \"Const\", \"attr\": {\"dtype\": {\"type\": \"DT_FLOAT\"},\n"
    "     \"value\": {\"tensor\": {\"dtype\": \"DT_FLOAT\", \"tensorShape\": {\"dim\": [{\"size\": \"2\"}, {\"size\": \"2\"}]}}}}},\n"
    "  {\"name\": \"h\", \"op\": \"Const\", \"attr\": {\"value\": {\"tensor\": {\"dtype\": \"DT_FLOAT\",\n"
    "     \"tensorShape\": {\"dim\": [{\"size\": \"3\"}]}}}}},\n"
    "  {\"name\": \"k\", \"op\": \"Const\"},\n"
    "  {\"name\": \"s\", \"op\": \"Const\", \"attr\": {\"dtype\": {\"type\": \"DT_INT32\"}}},\n"
    "  {\"name\": \"r\", \"op\": \"Const\", \"attr\": {\"value\": {\"tensor\": {\"dtype\": \"DT_FLOAT\", \"tensorShape\": {}}}}},\n"
    "  {\"name\": \"t\", \"op\": \"Const\", \"attr\": {\"dtype\": {\"type\": \"DT_BOOL\"}}},\n"
    "  {\"name\": \"m\", \"op\": \"Mul\", \"input\": [\"x\", \"w\"], \"device\": \"/device:CPU:0\"},\n"
    "  {\"name\": \"a\", \"op\": \"_FusedConv2D\", \"input\": [\"m\", \"h\", \"^k\"], \"attr\": {\n"
    "     \"T\": {\"type\": \"DT_FLOAT\"}, \"epsilon\": {\"f\": 0.5}, \"use_cudnn_on_gpu\": {\"b\": true},\n"
    "     \"num_args\": {\"i\": \"1\"}, \"padding\": {\"s\": \"U0FNRQ==\"}, \"strides\": {\"list\": {\"i\": [\"1\", \"2\", 3]}},\n"
    "     \"fused_ops\": {\"list\": {\"s\": [\"Qmlhc0FkZA==\", \"UmVsdQ\"]}}, \"ratios\": {\"list\": {\"f\": [0.25, \"-Infinity\"]}},\n"
    "     \"types\": {\"list\": {\"type\": [\"DT_INT32\", \"DT_BOOL\"]}}, \"explicit_paddings\": {\"list\": {}},\n"
    "     \"out_shape\": {\"shape\": {\"unknownRank\": true}}}},\n"
    "  {\"name\": \"sp\", \"op\": \"Split\", \"input\": [\"s\", \"a\"], \"attr\": {\"num_split\": {\"i\": \"2\"}}},\n"
    "  {\"name\": \"o\", \"op\": \"Identity\", \"input\": [\"sp:1\", \"^m\", \"r\", \"t\"]}\n"
    " ], \"library\": {}, \"versions\": {\"producer\": 716}},\n"
    " \"weightsManifest\": [{\"paths\": [\"a.bin\", \"b.bin\"], \"weights\": [\n"
    "  {\"name\": \"w\", \"shape\": [2, 2], \"dtype\": \"float32\",\n"
    "   \"quantization\": {\"dtype\": \"uint8\", \"min\": -1.0, \"scale\": 0.5, \"original_dtype\": \"float32\"}},\n"
    "  {\"name\": \"h\", \"shape\": [3], \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"float16\"}},\n"
    "  {\"name\": \"k\", \"shape\": [1], \"dtype\": \"float32\",\n"
    "   \"quantization\": {\"dtype\": \"uint16\", \"min\": 0.25, \"scale\": 0.001}},\n"
    "  {\"name\": \"s\", \"shape\": [2], \"dtype\": \"int32\"},\n"
    "  {\"name\": \"r\", \"shape\": [], \"dtype\": \"float32\"},\n"
    "  {\"name\": \"t\", \"shape\": [2], \"dtype\": \"bool\"}\n"
    " ]}]}\n";

static const uint8_t tfjs_tiny_bin[26] = {
    0, 1, 2, 255,                   /* w */
    0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, /* h */
    0x39, 0x30,                     /* k: 12345 */
    1, 0, 0, 0, 0xfd, 0xff, 0xff, 0xff, /* s */
    0x00, 0x00, 0x20, 0x40,         /* r */
    0, 7,                           /* t */
};
#define TFJS_TINY_SPLIT 5 /* first file: bytes [0, 5) */

#endif
