import { statSync } from "node:fs";
import type { BoxConfig } from "../../firmware-config/box-config.js";
import type { FrameSource } from "../ports.js";
import { DirectoryFrameSource } from "./directory-frame-source.js";
import { FfmpegFrameSource } from "./ffmpeg-frame-source.js";

/**
 * The camera the box's configuration names: V4L2 or RTSP through ffmpeg; `directory` serves a folder
 * of images, or — when its path is a file — a video file through ffmpeg, looped at its own rate.
 */
export function frameSourceFor(camera: BoxConfig["camera"], options: { ffmpegPath?: string; stallAfterMs?: number } = {}): FrameSource {
  switch (camera.kind) {
    case "v4l2":
      return new FfmpegFrameSource({ input: { kind: "v4l2", device: camera.device }, width: camera.width, height: camera.height, fps: camera.fps, ...options });
    case "rtsp":
      return new FfmpegFrameSource({ input: { kind: "rtsp", url: camera.url }, width: camera.width, height: camera.height, fps: camera.fps, ...options });
    case "directory": {
      let isFile = false;
      try {
        isFile = statSync(camera.path).isFile();
      } catch {
        // A missing path is reported by the directory source's health.
      }
      if (isFile) return new FfmpegFrameSource({ input: { kind: "file", path: camera.path }, width: 640, height: 480, fps: camera.fps, ...options });
      return new DirectoryFrameSource({ path: camera.path, fps: camera.fps, ...(options.stallAfterMs === undefined ? {} : { stallAfterMs: options.stallAfterMs }) });
    }
  }
}
