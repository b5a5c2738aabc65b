"""The official-account chatbot (``/wechat/mp``): webhook, handlers, dialogue state. Built by its own issue."""
