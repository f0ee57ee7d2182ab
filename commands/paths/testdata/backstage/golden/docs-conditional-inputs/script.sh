#!/bin/bash
echo "Hi my name is orders, and you can fine me at https://orders.example.com/?a=1&b="2"!"

echo "You have enabled your database!"

