print("transferscope")
