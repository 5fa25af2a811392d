"""The grounded layer, by concern.

At the ground, used by every wing: the domain types (``domain``), the settings (``config``)
and the pure statistics (``statistics``). Above them, four wings, each a package whose
``__init__`` names its API:

- ``tools.message``: reading and checking copy;
- ``tools.crm``: the CRM store and its readings;
- ``tools.writing``: the writer, the editor and the wordings;
- ``tools.models``: the model loader.

A wing imports the ground and the wings below it (writing > crm > message), never one above.
"""
