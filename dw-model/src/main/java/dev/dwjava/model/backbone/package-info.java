/** ResNet backbones (docs/DW_SPEC.md §1.1). */
package dev.dwjava.model.backbone;
