print("init shapes.geo")
