"""Export of a trained model to files other runtimes load: ONNX (``onnx_graph``: preprocessing,
every registered layer and the class outputs in one graph) and safetensors (``safetensors_file``:
the ``state_dict`` under its torch names, metadata in the header).

May import: nn, errors, files, training (the scalers); never commands or cli. The ``onnx``
package (the ``lddl[export]`` extra) is imported only when an ONNX file is written.
"""
