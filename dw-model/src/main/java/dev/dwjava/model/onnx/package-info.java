/**
 * ONNX export of {@code DwDetector}: the network's raw head outputs per level as an ONNX graph (opset 17), written in
 * the protobuf wire format with protobuf-java's {@code CodedOutputStream} and no generated classes (docs/onnx.md).
 */
package dev.dwjava.model.onnx;
